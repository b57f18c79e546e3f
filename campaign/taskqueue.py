"""The Celery app bound to the Flask app, configured from the Flask config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask


def celery_init_app(app: Flask) -> Celery:
    """Create the Celery app whose tasks run inside the Flask app context."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_settings(app))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def celery_settings(app: Flask) -> dict[str, Any]:
    """Translate the Flask config into Celery settings."""
    settings: dict[str, Any] = {
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        # Every task is idempotent (it checks state before acting), so a task
        # is acknowledged after it ran and redelivered if a worker dies.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 2,
        "worker_hijack_root_logger": False,
        "beat_schedule": beat_schedule(app),
        "timezone": "UTC",
    }
    redis_url = app.config["REDIS_URL"]
    if redis_url:
        settings["broker_url"] = redis_url
        settings["broker_transport_options"] = {
            "global_keyprefix": app.config["REDIS_KEY_PREFIX"],
            "socket_connect_timeout": 0.5,
            "socket_timeout": 5,
            "visibility_timeout": 3600,
        }
    else:
        settings["broker_url"] = "filesystem://"
        settings["broker_transport_options"] = filesystem_broker(Path(app.instance_path))
    settings.update(app.config.get("CELERY", {}))
    return settings


def filesystem_broker(instance: Path) -> dict[str, Any]:
    """The folder broker of the embedded default: no server, shared by web, worker and beat."""
    queue = instance / "broker" / "queue"
    processed = instance / "broker" / "processed"
    queue.mkdir(parents=True, exist_ok=True)
    processed.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(processed),
        "store_processed": False,
        "polling_interval": 0.25,
    }


def beat_schedule(app: Flask) -> dict[str, Any]:
    """The periodic tasks; `celery -A worker beat` runs them, exactly one beat at a time."""
    return {
        "sweep the outbox": {
            "task": "mail.sweep_outbox",
            "schedule": float(app.config["OUTBOX_SWEEP_SECONDS"]),
        },
        "fold signatures into counts": {
            "task": "counts.fold_signatures",
            "schedule": float(app.config["COUNTS_FOLD_SECONDS"]),
        },
        "delete expired exports": {"task": "exports.expire", "schedule": 600.0},
        # An update whose queuing task was lost (a worker died) is picked up again.
        "resume updates being sent": {"task": "updates.resume_sending", "schedule": 60.0},
        "reconcile the counts every night": {
            "task": "counts.reconcile",
            "schedule": crontab(hour=3, minute=17),
        },
        # Hourly, so each campaign's digest leaves at the start of its window;
        # a digest's key holds the date, so an official gets one a day.
        "send letter digests": {
            "task": "letters.send_digests",
            "schedule": crontab(minute=7),
        },
        # Supporters' data kept no longer than needed (campaign/privacy/retention.py).
        "delete and anonymise on schedule": {
            "task": "privacy.retention",
            "schedule": crontab(hour=2, minute=41),
        },
        "ask letter writers whether officials replied": {
            "task": "letters.ask_for_replies",
            "schedule": crontab(hour=10, minute=23),
        },
    }
