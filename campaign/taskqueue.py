"""The Celery app bound to the Flask app, configured from the Flask config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.schedules import crontab
from flask import Flask
from kombu import Queue

from campaign import task_names

# The longest a task may run before it is stopped (an export of a million rows takes ~20 s).
TASK_TIME_LIMIT_SECONDS = 1800
# The Redis broker hands an unacknowledged task to another worker after this long.
VISIBILITY_TIMEOUT_SECONDS = 2 * TASK_TIME_LIMIT_SECONDS
# How long running tasks get to finish after SIGTERM before they are cancelled and requeued.
SOFT_SHUTDOWN_SECONDS = 2.0
# The queues: everything on the default one but the posts to organizations' webhook endpoints,
# which wait on servers outside our control. A worker started with no -Q takes both; production
# gives the webhooks a worker of their own (-Q webhooks), so that slow endpoints, however many,
# never hold the workers that send mail and fold the counts (-Q celery).
DEFAULT_QUEUE = "celery"
WEBHOOKS_QUEUE = "webhooks"


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
    """Translate the Flask config into Celery settings, each with the reason for it."""
    settings: dict[str, Any] = {
        # JSON only: a message holds ids and nothing else, and a broker (or
        # anyone who can write to it) can never make a worker unpickle code.
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # Nobody reads task results: what a task did is in the database.
        "task_ignore_result": True,
        # Late acks: a task is acknowledged after it ran, so one whose worker
        # died is delivered again. That is safe only for idempotent tasks, and
        # every task in worker/tasks.py is (it checks state before it acts); a
        # task that is not must be declared with acks_late=False.
        "task_acks_late": True,
        # A pool process killed mid-task (OOM, SIGKILL): requeue its message
        # rather than acknowledge work that was never finished.
        "task_reject_on_worker_lost": True,
        # Prefetch 1: a worker process holds only the task it runs. The outbox
        # pump runs for up to OUTBOX_PUMP_SECONDS; a second pump prefetched
        # behind it would wait there while an idle worker could send.
        "worker_prefetch_multiplier": 1,
        # When the broker connection drops, the broker gives running late-ack
        # tasks to another worker: cancel ours rather than run them twice.
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        # The longest task (an export of a million rows: ~20 s) is bounded
        # well below the broker's visibility timeout (below), so a task still
        # running is never handed to a second worker as if lost.
        "task_soft_time_limit": TASK_TIME_LIMIT_SECONDS - 60,
        "task_time_limit": TASK_TIME_LIMIT_SECONDS,
        # Soft shutdown: with REMAP_SIGTERM=SIGQUIT in the worker's
        # environment (Dockerfile, `make run`), SIGTERM gives running tasks
        # this long to finish, then cancels them and puts their messages
        # back, so a worker stops within 10 s instead of waiting out a pump
        # or an export (a plain warm shutdown waits for every running task).
        "worker_soft_shutdown_timeout": SOFT_SHUTDOWN_SECONDS,
        "broker_connection_retry_on_startup": True,
        "broker_connection_timeout": 2,
        "worker_hijack_root_logger": False,
        # No long ETAs: a task with a countdown sits unacknowledged in a
        # worker's memory, and past the visibility timeout Redis would hand
        # it out again. Ours wait seconds at most (dispatch.coalesce); what is
        # due later is a row in the database that beat's sweeps pick up.
        "task_queues": (Queue(DEFAULT_QUEUE), Queue(WEBHOOKS_QUEUE)),
        "task_default_queue": DEFAULT_QUEUE,
        "task_routes": {task_names.WEBHOOKS_PUMP: {"queue": WEBHOOKS_QUEUE}},
        "beat_schedule": beat_schedule(app),
        # Exactly one beat runs the schedule; a second one stands by
        # (campaign/beatlock.py). The lock is on the database.
        "beat_scheduler": "campaign.beatlock:SingleBeatScheduler",
        "campaign_beat_lock_database": app.config["SQLALCHEMY_DATABASE_URI"],
        "campaign_beat_lock_file": str(Path(app.instance_path) / "beat.lock"),
        "campaign_beat_lock_dead_peer_seconds": int(app.config["DATABASE_DEAD_PEER_SECONDS"]),
        "timezone": "UTC",
    }
    broker_url = app.config.get("BROKER_URL")
    redis_url = app.config["REDIS_URL"]
    if broker_url and broker_url.startswith(("amqp://", "amqps://", "pyamqp://")):
        settings.update(rabbitmq_broker(broker_url))
    elif broker_url or redis_url:
        settings["broker_url"] = broker_url or redis_url
        settings["broker_transport_options"] = {
            "global_keyprefix": app.config["REDIS_KEY_PREFIX"],
            "socket_connect_timeout": 0.5,
            "socket_timeout": 5,
            # Above the longest task (task_time_limit) and every countdown.
            "visibility_timeout": VISIBILITY_TIMEOUT_SECONDS,
        }
    else:
        settings.update(embedded_broker(Path(app.instance_path)))
    settings.update(app.config.get("CELERY", {}))
    return settings


def rabbitmq_broker(url: str) -> dict[str, Any]:
    """RabbitMQ as the broker (Celery's own recommendation), chosen by an amqp:// BROKER_URL.

    Redis stays the cache and the rate limiter's store if REDIS_URL is set;
    RabbitMQ carries the tasks only. RabbitMQ gives an unacknowledged task
    back as soon as the worker's connection closes (no visibility timeout to
    wait out), but closes a channel whose delivery stays unacknowledged past
    its `consumer_timeout` (30 minutes by default): set it above
    TASK_TIME_LIMIT_SECONDS in rabbitmq.conf (docs/OPERATIONS.md).
    """
    return {
        "broker_url": url,
        # Heartbeats find a dead connection (a host cut off) within a minute,
        # so its unacknowledged tasks go back to the queue.
        "broker_heartbeat": 30,
    }


def embedded_broker(instance: Path) -> dict[str, Any]:
    """The broker of the embedded default: a SQLite file beside the database (campaign/broker.py).

    It needs no server and is shared by web, worker and beat on one machine.
    A worker takes a message and deletes it in one transaction; what it held
    unacknowledged goes back on the queue when it stops. A worker killed
    outright loses what it held, which beat's sweeps make good: mail owed and
    signatures to count are rows in the database, not messages.
    """
    instance.mkdir(parents=True, exist_ok=True)
    return {
        "broker_url": f"sqlite:///{instance / 'broker.sqlite'}",
        "broker_transport": "campaign.broker:Transport",
        # The SQLite transport has no fanout, so remote control (`celery
        # inspect`) cannot work on it; not listening saves a poll per second.
        "worker_enable_remote_control": False,
    }


def beat_schedule(app: Flask) -> dict[str, Any]:
    """The periodic tasks; `celery -A worker beat` runs them, exactly one beat at a time."""
    return {
        "sweep the outbox": {
            "task": task_names.MAIL_SWEEP_OUTBOX,
            "schedule": float(app.config["OUTBOX_SWEEP_SECONDS"]),
        },
        # Bounces and complaints that arrive later (campaign/mail/bounces.py); nothing without BOUNCE_MAILDIR.
        "read the bounce mailbox": {
            "task": task_names.MAIL_READ_BOUNCES,
            "schedule": float(app.config["BOUNCE_READ_SECONDS"]),
        },
        # Webhook deliveries due (retries, a lost pump) are handed to a pump (campaign/webhooks).
        "sweep the webhook deliveries": {
            "task": task_names.WEBHOOKS_SWEEP,
            "schedule": float(app.config["WEBHOOK_SWEEP_SECONDS"]),
        },
        "fold signatures into counts": {
            "task": task_names.FOLD_SIGNATURES,
            "schedule": float(app.config["COUNTS_FOLD_SECONDS"]),
        },
        # Each changed ledger gets a signed head (campaign/ledger/heads.py).
        "publish ledger heads": {
            "task": task_names.PUBLISH_LEDGER_HEADS,
            "schedule": float(app.config["LEDGER_SECONDS"]),
        },
        "delete expired exports": {"task": task_names.EXPIRE_EXPORTS, "schedule": 600.0},
        # An export whose worker died is failed, and its half-written file removed, within a minute.
        "fail exports whose worker died": {
            "task": task_names.FAIL_ABANDONED_EXPORTS,
            "schedule": float(app.config["EXPORT_SWEEP_SECONDS"]),
        },
        # An update whose queuing task was lost (a worker died) is picked up again.
        "resume updates being sent": {"task": task_names.RESUME_UPDATES, "schedule": 60.0},
        "reconcile the counts every night": {
            "task": task_names.RECONCILE_COUNTS,
            "schedule": crontab(hour=3, minute=17),
        },
        # Hourly, so each campaign's digest leaves at the start of its window;
        # a digest's key holds the date, so an official gets one a day.
        "send letter digests": {
            "task": task_names.SEND_LETTER_DIGESTS,
            "schedule": crontab(minute=7),
        },
        # Supporters' data kept no longer than needed (campaign/privacy/retention.py).
        "delete and anonymise on schedule": {
            "task": task_names.APPLY_RETENTION,
            "schedule": crontab(hour=2, minute=41),
        },
        # Just after the hour: the hour before is complete (campaign/moderation/trending.py).
        "report trending signatures": {
            "task": task_names.REPORT_TRENDING,
            "schedule": crontab(minute=2),
        },
        # A campaign that ended without an outcome: its organizers are asked for one (builder/endings.py).
        "tell organizers their campaign ended": {
            "task": task_names.TELL_OF_ENDED_CAMPAIGNS,
            "schedule": crontab(minute=41),
        },
        # One reminder to confirm, a day after signing (campaign/signing/reminders.py).
        "remind supporters to confirm": {
            "task": task_names.REMIND_UNCONFIRMED,
            "schedule": crontab(minute=29),
        },
        "ask letter writers whether officials replied": {
            "task": task_names.ASK_FOR_REPLIES,
            "schedule": crontab(hour=10, minute=23),
        },
    }
