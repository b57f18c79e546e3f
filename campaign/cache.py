"""Caches: Redis, shared, optional and fast to give up on; and what each process keeps a few seconds.

Without REDIS_URL there is no shared cache and callers read the database.
When Redis is configured but away, calls fail within a fraction of a second
and Redis is skipped for a few seconds (a Backoff), so a request never waits
on it twice. A Local cache keeps values in this process for a few seconds;
neither is ever the source of truth. forget_local() drops every Local cache
and every Backoff of this process (tests).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

import redis
from flask import current_app

log = logging.getLogger(__name__)

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
_DOWN_SECONDS = 5.0


class Local(Generic[K, T]):
    """Values this process keeps for a few seconds each; all dropped at once when there are too many."""

    def __init__(self, max_size: int) -> None:
        """An empty cache of at most about max_size values."""
        self.max_size = max_size
        self._kept: dict[K, tuple[float, T]] = {}
        _LOCALS.append(self)

    def get_or_make(self, key: K, seconds: float, make: Callable[[], T], *, fresh: bool = False) -> T:
        """The value kept under key if younger than `seconds`, else a new one from make(), kept if
        seconds > 0; fresh=True makes a new one whatever is kept."""
        now = time.monotonic()
        kept = None if fresh else self._kept.get(key)
        if kept is not None and kept[0] > now:
            return kept[1]
        value = make()
        if seconds > 0:
            self.put(key, value, seconds)
        return value

    def put(self, key: K, value: T, seconds: float) -> None:
        """Keep the value under key for `seconds`."""
        if len(self._kept) >= self.max_size:
            self._kept.clear()
        self._kept[key] = (time.monotonic() + seconds, value)

    def has(self, key: K) -> bool:
        """Tell whether a value is kept under key and still young enough."""
        kept = self._kept.get(key)
        return kept is not None and kept[0] > time.monotonic()

    def clear(self) -> None:
        """Drop every value."""
        self._kept.clear()


class Backoff:
    """A service that just failed is skipped for a while, so no caller waits on it twice."""

    def __init__(self) -> None:
        """A service not known to be down."""
        self.down_until = 0.0
        _BACKOFFS.append(self)

    def is_down(self) -> bool:
        """Tell whether the service failed less than its backoff ago."""
        return time.monotonic() < self.down_until

    def failed(self, seconds: float) -> None:
        """Skip the service for this many seconds."""
        self.down_until = time.monotonic() + seconds

    def reset(self) -> None:
        """Forget a past failure (the service is known to be back)."""
        self.down_until = 0.0


_LOCALS: list[Local[Any, Any]] = []
_BACKOFFS: list[Backoff] = []
_redis = Backoff()


def forget_local() -> None:
    """Drop what this process keeps and forget every past failure (tests)."""
    for local in _LOCALS:
        local.clear()
    for backoff in _BACKOFFS:
        backoff.reset()


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
    connection = client()
    if connection is None or _redis.is_down():
        return default
    try:
        return operation(connection)
    except redis.RedisError as error:
        _redis.failed(_DOWN_SECONDS)
        log.warning("redis unavailable, falling back: %s", type(error).__name__)
        return default
