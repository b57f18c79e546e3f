# The two commands: `make run` (the whole site on this machine) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1

.PHONY: run install install-runtime lock test lint pytest browser nginx bench soak clean vendor-altcha translations static-gz

# Installs are reproducible: the exact versions (and hashes) of requirements.txt
# (runtime) and requirements-dev.txt (runtime and test tools), made from
# pyproject.toml by `make lock`. `make run` installs the runtime only.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(BIN)/.runtime: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(BIN)/.dev: requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(BIN)/.runtime

# The interface's languages besides English (the source): gettext catalogs in
# campaign/translations/<lang>/LC_MESSAGES/messages.po, compiled here to the
# .mo files the app reads (never committed: every install makes them, so a
# fresh clone, `make run`, `make test` and the image need no extra step).
LANGUAGES := hy fr ru
CATALOGS := campaign/translations
MO_FILES := $(foreach lang,$(LANGUAGES),$(CATALOGS)/$(lang)/LC_MESSAGES/messages.mo)

$(CATALOGS)/%/LC_MESSAGES/messages.mo: $(CATALOGS)/%/LC_MESSAGES/messages.po | $(BIN)/.runtime
	$(BIN)/pybabel -q compile -l $* -i $< -o $@

install-runtime: $(BIN)/.runtime $(MO_FILES)

install: $(BIN)/.dev $(MO_FILES)

# After marking or changing text: extract every message into messages.pot and
# merge it into each language's catalog (translators then fill the new entries).
translations: install
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext -k _l -k lazy_ngettext:1,2 \
	  --add-comments=Translators: --sort-by-file --project=campaign --no-wrap \
	  -o $(CATALOGS)/messages.pot .
	for lang in $(LANGUAGES); do \
	  $(BIN)/pybabel -q update --no-wrap -l $$lang -i $(CATALOGS)/messages.pot -d $(CATALOGS) || exit 1; \
	done
	$(MAKE) --no-print-directory $(MO_FILES)

# After a change to the dependencies in pyproject.toml: new lock files, for Python 3.11 and up on any platform.
lock: install
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" pyproject.toml -o requirements.txt
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" --extra dev pyproject.toml -o requirements-dev.txt

# Migrates, seeds the demo campaigns into an empty database, then runs the web
# server, a Celery worker and beat under campaign/supervise.py: a worker or
# beat that dies is started again while the site stays up; Ctrl-C (or
# SIGTERM) stops all three within 10 s.
run: install-runtime
	$(BIN)/campaign db upgrade
	$(BIN)/campaign keys init
	$(BIN)/campaign seed-demo
	@echo "Serving on http://$(HOST):$(PORT)/  (mail without SMTP_URL: http://$(HOST):$(PORT)/dev/mail)"
	@exec $(BIN)/python -m campaign.supervise --host $(HOST) --port $(PORT)

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

# nginx is the front in the tests and `make bench` (Debian's package: images cannot be
# pulled everywhere; docker-compose uses the official image with the same deploy/nginx.conf).
nginx:
	@if [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	  else echo "Please install nginx (Debian: apt-get install nginx)"; exit 1; fi; \
	fi

# Test-only tools from npm (axe-core for the accessibility checks), exactly as package-lock.json
# says; installed into node_modules/ and never served to visitors.
node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

# Two pytest processes (pytest-xdist), each with a database, Redis prefix, worker and SMTP server of
# its own; tests/conftest.py gives the tests of whole processes to one of them, one at a time.
# TEST_PROCESSES=0 runs the suite in one process.
TEST_PROCESSES ?= 2
pytest: install browser nginx node_modules/.installed
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadgroup

test: lint pytest

# The load generator is Debian's wrk; as root we install it, elsewhere ask for it.
bench: install nginx
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "Please install wrk (Debian: apt-get install wrk)"; exit 1; fi; \
	fi
	$(BIN)/python -m bench

# The soak (not CI): 10 minutes at 100 signatures a second on PostgreSQL + Redis, the worker
# SIGKILLed and restarted every minute and Redis restarted once; figures in docs/BENCHMARKS.md.
soak: install nginx
	$(BIN)/python -m bench.soak

# The proof-of-work widget (npm package `altcha`), vendored into static/ and committed, so
# that neither the site nor CI reaches the network for it: the strict-CSP build (no inline
# style or worker), its stylesheet, the PBKDF2 worker, the site's languages and the licence.
ALTCHA_VERSION ?= 3.2.2
# The static files nginx serves compressed: a .gz beside each stylesheet, script and SVG, made once
# here (gzip_static in deploy/nginx.conf; compressing on every request would cost nginx 0.2 ms for
# site.css and 2.4 ms for altcha.min.js). Committed with their sources; a test checks they match,
# so after changing a file under static/, run `make static-gz` and commit the .gz with it.
STATIC_TEXT = $(shell find static -type f \( -name '*.css' -o -name '*.js' -o -name '*.svg' \) | sort)

static-gz:
	@for file in $(STATIC_TEXT); do gzip -9 -n -c "$$file" > "$$file.gz"; done
	@echo "$(words $(STATIC_TEXT)) files under static/ compressed beside themselves"

vendor-altcha:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  (cd "$$tmp" && npm pack --silent altcha@$(ALTCHA_VERSION) >/dev/null && tar xzf altcha-$(ALTCHA_VERSION).tgz) && \
	  mkdir -p static/vendor/altcha && \
	  cp "$$tmp"/package/dist/external/altcha.min.js "$$tmp"/package/dist/external/altcha.css \
	    "$$tmp"/package/dist/workers/pbkdf2.js "$$tmp"/package/LICENSE.txt static/vendor/altcha/ && \
	  mkdir -p static/vendor/altcha/i18n && \
	  for lang in hy ru fr; do \
	    src="$$tmp/package/dist/i18n/$$lang.js"; [ -f "$$src" ] || src="$$tmp/package/dist/i18n/$$lang-$$lang.js"; \
	    cp "$$src" static/vendor/altcha/i18n/$$lang.js; \
	  done && \
	  echo "altcha $(ALTCHA_VERSION) from npm, by make vendor-altcha (MIT, LICENSE.txt)" > static/vendor/altcha/VERSION && \
	  echo "static/vendor/altcha/ now holds altcha $(ALTCHA_VERSION)" && \
	  $(MAKE) --no-print-directory static-gz

clean:
	rm -rf $(VENV) instance node_modules .pytest_cache .mypy_cache .ruff_cache
