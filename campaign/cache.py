"""Redis as a cache: optional, fast to give up on, never the source of truth.

Without REDIS_URL there is no cache and callers read the database. When Redis
is configured but away, calls fail within a fraction of a second and Redis is
skipped for a few seconds, so a request never waits on it twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from flask import current_app

log = logging.getLogger(__name__)

T = TypeVar("T")
_down_until = 0.0
_DOWN_SECONDS = 5.0


def client() -> redis.Redis | None:
    """The app's Redis client, or None when the app runs without Redis."""
    app = current_app
    if not app.config["REDIS_URL"]:
        return None
    existing: redis.Redis | None = app.extensions.get("redis")
    if existing is None:
        existing = redis.Redis.from_url(
            app.config["REDIS_URL"],
            socket_timeout=0.25,
            socket_connect_timeout=0.25,
            health_check_interval=30,
        )
        app.extensions["redis"] = existing
    return existing


def key(*parts: object) -> str:
    """A key under this deployment's prefix."""
    return current_app.config["REDIS_KEY_PREFIX"] + "campaign:" + ":".join(str(p) for p in parts)


def attempt(operation: Callable[[redis.Redis], T], default: T) -> T:
    """Run an operation on Redis; on any Redis failure (or without Redis) return the default."""
    global _down_until
    connection = client()
    if connection is None or time.monotonic() < _down_until:
        return default
    try:
        return operation(connection)
    except redis.RedisError as error:
        _down_until = time.monotonic() + _DOWN_SECONDS
        log.warning("redis unavailable, falling back: %s", type(error).__name__)
        return default


def reset() -> None:
    """Forget a past Redis failure."""
    global _down_until
    _down_until = 0.0
