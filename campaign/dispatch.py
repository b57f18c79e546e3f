"""Hand tasks to Celery only after the transaction that owes them has committed.

Services call defer() while they write; the task is published when the
session commits and forgotten if it rolls back. A task published before its
row is committed could run and find nothing; one published after a rollback
would act on a row that never existed.

Publishing is best effort: the outbox table remembers every message owed and a
periodic sweep hands over whatever was not published, so when the broker is
down a request pays one short timeout and then skips the broker for a while.

drain() is the one loop of the worker's long jobs: batches until done or out
of time, then the same task again, so that one task never holds a worker long.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from campaign import cache

log = logging.getLogger(__name__)

_DEFERRED = "deferred_tasks"
_broker = cache.Backoff()
# Tasks that do all outstanding work whenever they run (such as folding the
# counts) need not be published once per commit: task name -> seconds.
_coalesced: dict[str, float] = {}
# The tasks this process published for a window, kept for the window.
_published: cache.Local[str, bool] = cache.Local(1000)


def coalesce(task_name: str, seconds: float) -> None:
    """Publish this task at most once per window, delayed by the window, however many commits ask."""
    _coalesced[task_name] = seconds


def defer(session: Session, task_name: str, *args: int) -> None:
    """Publish the task with these ids once the session commits."""
    session.info.setdefault(_DEFERRED, []).append((task_name, args))


def publish(task_name: str, args: tuple[Any, ...], countdown: float | None = None) -> bool:
    """Send one task to the broker now; tell whether the broker took it."""
    if _broker.is_down():
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
        _broker.failed(current_app.config["PUBLISH_BACKOFF_SECONDS"])
        log.warning("broker unavailable, %s left for the sweep: %s", task_name, type(error).__name__)
        return False
    return True


def drain(
    step: Callable[[], int], *, full: int, seconds: float | None, task_name: str, args: tuple[Any, ...] = ()
) -> int:
    """Run step() until it handles fewer than `full` (nothing is left) or `seconds` have passed (None:
    no limit), then publish the task again to go on; return how many the steps handled in all.

    Each step is one batch that commits its own work, so what a lost worker did stays done.
    """
    deadline = None if seconds is None else time.monotonic() + seconds
    total = 0
    while True:
        handled = step()
        total += handled
        if handled < full:
            return total
        if deadline is not None and time.monotonic() >= deadline:
            publish(task_name, args)
            return total


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
    # A publish from this process in this window covers the commit already:
    # under a surge most commits need not even ask Redis.
    if _published.has(task_name):
        return False
    _published.put(task_name, True, window)
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
