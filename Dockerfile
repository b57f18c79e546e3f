# One image for web, worker and beat; docker-compose.yml chooses the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    INSTANCE_PATH=/var/lib/campaign

RUN useradd --system --create-home --home-dir /app campaign \
    && mkdir -p /var/lib/campaign /var/lib/campaign-keys \
    && chown campaign /var/lib/campaign /var/lib/campaign-keys && chmod 700 /var/lib/campaign-keys
WORKDIR /app

COPY pyproject.toml README.md gunicorn.conf.py ./
COPY campaign ./campaign
COPY worker ./worker
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
# Installed in place: the app finds its templates, static files and migrations
# beside its package, whichever command (gunicorn, celery, campaign) imports it.
RUN pip install -e .

USER campaign
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "4", "--access-logfile", "-", "campaign:create_app()"]
