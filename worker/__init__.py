"""The Celery app, `worker:celery_app`: `celery -A worker worker` and `celery -A worker beat`."""

from __future__ import annotations

from campaign import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]

from worker import tasks as tasks  # noqa: E402  registers the tasks on the app
