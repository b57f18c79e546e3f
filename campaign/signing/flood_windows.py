"""The counters behind the flood rules: each rule's windows, counted in the rate limiter's storage.

A rule (campaign/signing/floods.py) has a burst window (a minute) and a
sustained one (an hour), each turned on by its setting. A new signature is
counted in its windows in order, stopping at the first that is full: on Redis
all of them in one round trip, elsewhere one by one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import current_app
from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import RedisClusterStorage, RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from campaign.extensions import limiter


@dataclass(frozen=True)
class Rule:
    """One flood rule: its name, its two windows (from the config), whether a proof of work passes it."""

    name: str
    is_escapable: bool

    def windows(self) -> Iterator[tuple[str, RateLimitItem]]:
        """The rule's burst and sustained windows that are turned on, each with its name."""
        prefix = f"FLOOD_{self.name.upper()}"
        for window, item_class, setting in (
            ("burst", RateLimitItemPerMinute, f"{prefix}_PER_MINUTE"),
            ("sustained", RateLimitItemPerHour, f"{prefix}_PER_HOUR"),
        ):
            amount = int(current_app.config[setting])
            if amount > 0:
                name = f"{self.name}-{window}"
                yield name, item_class(amount, namespace=f"flood-{name}")


@dataclass(frozen=True)
class Window:
    """One window of one rule, as a signature is counted against it."""

    rule: Rule
    name: str
    item: RateLimitItem
    identifier: str


def sliding_windows() -> SlidingWindowCounterRateLimiter:
    """Sliding-window counters in the app's limiter storage: two keys a window, no list of hits."""
    return SlidingWindowCounterRateLimiter(limiter.storage)


def storage_errors() -> tuple[type[Exception], ...]:
    """What the limiter's storage raises when it is away."""
    base = limiter.storage.base_exceptions
    return (StorageError, *(base if isinstance(base, tuple) else (base,)))


# Every window of a signature counted in one round trip to Redis, in order, stopping at the
# first that is full: limits' own sliding-window counter (acquire_sliding_window.lua, limits 5)
# applied to each pair of keys in turn, so that `SlidingWindowCounterRateLimiter.test` (and
# needs_proof) reads the same counters. Returns the 1-based index of the full window, or 0.
# (The keys of one call may lie on several nodes of a Redis Cluster: the platform's limiter
# storage is a single Redis.)
_ACQUIRE_IN_ORDER = """
for i = 1, #ARGV / 2 do
    local limit = tonumber(ARGV[2 * i - 1])
    local expiry = tonumber(ARGV[2 * i]) * 1000
    local previous_key = KEYS[2 * i - 1]
    local current_key = KEYS[2 * i]
    local current_ttl = tonumber(redis.call('pttl', current_key))
    if current_ttl > 0 and current_ttl < expiry then
        redis.call('rename', current_key, previous_key)
        redis.call('set', current_key, 0, 'PX', current_ttl + expiry)
    end
    local previous_count = tonumber(redis.call('get', previous_key)) or 0
    local previous_ttl = tonumber(redis.call('pttl', previous_key)) or 0
    local current_count = tonumber(redis.call('get', current_key)) or 0
    if previous_ttl < 0 then previous_ttl = 0 end
    if math.floor(previous_count * previous_ttl / expiry) + current_count + 1 > limit then
        return i
    end
    if redis.call('exists', current_key) == 1 then
        redis.call('incrby', current_key, 1)
    else
        redis.call('set', current_key, 1, 'PX', expiry * 2)
    end
end
return 0
"""
_scripts: dict[int, Any] = {}


def first_full(windows: list[Window]) -> int | None:
    """Count a new signature in each window in turn: the index of the first that is full, or None."""
    storage = limiter.storage
    if not isinstance(storage, RedisStorage) or isinstance(storage, RedisClusterStorage):
        strategy = sliding_windows()
        return next(
            (n for n, window in enumerate(windows) if not strategy.hit(window.item, window.identifier)),
            None,
        )
    script = _scripts.get(id(storage))
    if script is None:
        script = _scripts[id(storage)] = storage.get_connection().register_script(_ACQUIRE_IN_ORDER.encode())
    keys: list[str] = []
    arguments: list[int] = []
    for window in windows:
        # The keys limits' RedisStorage uses for a sliding window ("{key}" and "{key}/-1").
        key = window.item.key_for(window.identifier)
        keys += [storage.prefixed_key(f"{{{key}}}/-1"), storage.prefixed_key(f"{{{key}}}")]
        arguments += [window.item.amount, window.item.get_expiry()]
    full = int(script(keys, arguments)) if windows else 0
    return full - 1 if full else None
