# One image for web, worker and beat; docker-compose.yml chooses the command.
# The base image is pinned to an exact version; pin it by digest too where
# you can reach the registry (docker buildx imagetools inspect python:3.11.16-slim-trixie).
FROM python:3.11.16-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    INSTANCE_PATH=/var/lib/campaign \
    # Celery workers: SIGTERM (docker stop) starts the soft shutdown of
    # campaign/taskqueue.py, so a worker stops within 10 s.
    REMAP_SIGTERM=SIGQUIT

RUN useradd --system --create-home --home-dir /app campaign \
    && mkdir -p /var/lib/campaign /var/lib/campaign-keys \
    && chown campaign /var/lib/campaign /var/lib/campaign-keys && chmod 700 /var/lib/campaign-keys
WORKDIR /app

# The exact versions and hashes of the lock file, before the code, so a code
# change reuses this layer.
COPY requirements.txt ./
RUN pip install --require-hashes -r requirements.txt

COPY pyproject.toml README.md gunicorn.conf.py ./
COPY campaign ./campaign
COPY worker ./worker
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
# Installed in place and without dependencies (the lock file brought them):
# the app finds its templates, static files and migrations beside its package,
# whichever command (gunicorn, celery, campaign) imports it.
RUN pip install --no-deps -e .
# The interface's translations, compiled from the catalogs (the .mo files are never committed).
RUN pybabel -q compile -d campaign/translations

USER campaign
EXPOSE 8000
# 0.0.0.0 inside the container only: docker-compose.yml publishes the port on 127.0.0.1 unless told otherwise.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "4", "--graceful-timeout", "8", "--access-logfile", "-", "campaign:create_app()"]
