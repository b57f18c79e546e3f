"""Hand tasks to Celery only after the transaction that owes them has committed.

Services call defer() while they write; the task is published when the
session commits and forgotten if it rolls back. A task published before its
row is committed could run and find nothing; one published after a rollback
would act on a row that never existed.

Publishing is best effort: the outbox table remembers every message owed and a
periodic sweep hands over whatever was not published, so when the broker is
down a request pays one short timeout and then skips the broker for a while.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from campaign import cache

log = logging.getLogger(__name__)

_DEFERRED = "deferred_tasks"
_broker_down_until = 0.0
# Tasks that do all outstanding work whenever they run (such as folding the
# counts) need not be published once per commit: task name -> seconds.
_coalesced: dict[str, float] = {}
# task name -> when this process last published it for a window
_published_at: dict[str, float] = {}


def coalesce(task_name: str, seconds: float) -> None:
    """Publish this task at most once per window, delayed by the window, however many commits ask."""
    _coalesced[task_name] = seconds


def defer(session: Session, task_name: str, *args: int) -> None:
    """Publish the task with these ids once the session commits."""
    session.info.setdefault(_DEFERRED, []).append((task_name, args))


def publish(task_name: str, args: tuple[Any, ...], countdown: float | None = None) -> bool:
    """Send one task to the broker now; tell whether the broker took it."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False
    celery_app = current_app.extensions["celery"]
    try:
        celery_app.send_task(
            task_name,
            args=list(args),
            countdown=countdown,
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
        )
    except Exception as error:  # kombu raises many kinds when the broker is away
        _broker_down_until = time.monotonic() + current_app.config["PUBLISH_BACKOFF_SECONDS"]
        log.warning("broker unavailable, %s left for the sweep: %s", task_name, type(error).__name__)
        return False
    return True


def reset_backoff() -> None:
    """Forget a past broker failure (the broker is known to be back)."""
    global _broker_down_until
    _broker_down_until = 0.0


def _after_commit(session: Session) -> None:
    """Publish what the committed transaction deferred."""
    for task_name, args in session.info.pop(_DEFERRED, []):
        window = _coalesced.get(task_name)
        if window is None:
            publish(task_name, args)
        elif _first_in_window(task_name, window):
            # Runs after the window, so it also takes in what the commits
            # during the window asked for.
            publish(task_name, args, countdown=window)


def _first_in_window(task_name: str, window: float) -> bool:
    """Claim this window for the task, in this process, then in Redis (without Redis, claim it here)."""
    now = time.monotonic()
    # A publish from this process in this window covers the commit already:
    # under a surge most commits need not even ask Redis.
    if now - _published_at.get(task_name, -window) < window:
        return False
    _published_at[task_name] = now
    claim = cache.key("coalesce", task_name)
    return cache.attempt(lambda r: bool(r.set(claim, 1, nx=True, px=int(window * 1000))), True)


def _after_rollback(session: Session) -> None:
    """Forget what a rolled-back transaction deferred."""
    session.info.pop(_DEFERRED, None)


def init_app(app: Flask) -> None:
    """Listen to every session's commits and rollbacks (once per process)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
