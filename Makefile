# The two commands: `make run` (the whole site on this machine) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1

.PHONY: run install test lint pytest browser bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

# Migrates, seeds the demo campaigns into an empty database, then runs the web
# server, a Celery worker and beat together; Ctrl-C stops all three.
run: install
	$(BIN)/campaign db upgrade
	$(BIN)/campaign keys init
	$(BIN)/campaign seed-demo
	@echo "Serving on http://$(HOST):$(PORT)/  (mail without SMTP_URL: http://$(HOST):$(PORT)/dev/mail)"
	@trap 'trap - INT TERM EXIT; kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	  $(BIN)/celery -A worker worker --loglevel=info --concurrency=2 & \
	  $(BIN)/celery -A worker beat --loglevel=info --schedule "$${INSTANCE_PATH:-instance}/celerybeat-schedule" & \
	  PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT) --workers 2 --threads 4 \
	    --access-logfile - 'campaign:create_app()' & \
	  wait -n

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# The browser tests drive Debian's Chromium (Playwright's own download does
# not work everywhere); as root we install it, elsewhere ask for it.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Please install Chromium (Debian: apt-get install chromium)"; exit 1; fi; \
	fi

pytest: install browser
	$(BIN)/pytest

test: lint pytest

# The load generator is Debian's wrk; as root we install it, elsewhere ask for it.
bench: install
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "Please install wrk (Debian: apt-get install wrk)"; exit 1; fi; \
	fi
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
