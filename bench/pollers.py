"""count.json polled while confirmations land, and the rule for when each confirmation showed.

The freshness benchmark (d) polls the app itself and the surge (j) polls through nginx: both
use this one poller and this one rule, so that their figures mean the same thing.
"""

from __future__ import annotations

import bisect
import http.client
import json
import threading
import time

from bench.stack import HOST


def read_count(port: int, slug: str, connection: http.client.HTTPConnection | None = None) -> int:
    """What the campaign's count.json says now (on a connection of its own unless given one)."""
    own = connection or http.client.HTTPConnection(HOST, port, timeout=10)
    own.request("GET", f"/campaigns/{slug}/count.json")
    count = int(json.loads(own.getresponse().read())["count"])
    if connection is None:
        own.close()
    return count


def freshness(polls: list[tuple[float, int]], base: int, done: list[float]) -> tuple[list[float], int]:
    """Seconds from each confirmation to the first poll (answered after it) whose count includes it.

    The i-th completed confirmation (of `done`, sorted) is seen by the first poll answered
    after it whose count is at least base + i; returns those delays and how many were never seen.
    """
    times = [t for t, _ in polls]
    latencies: list[float] = []
    unseen = 0
    for i, completed in enumerate(done, start=1):
        first = bisect.bisect_left(times, completed)
        seen = next((t for t, count in polls[first:] if count - base >= i), None)
        if seen is None:
            unseen += 1
        else:
            latencies.append(seen - completed)
    return latencies, unseen


class CountPoller(threading.Thread):
    """Reads a campaign's count.json every interval, keeping (answer time, count)."""

    def __init__(self, port: int, slug: str, base: int, interval: float) -> None:
        """Poll the server on this port every interval, starting from the count `base`."""
        super().__init__(daemon=True)
        self.port = port
        self.slug = slug
        self.interval = interval
        self.polls: list[tuple[float, int]] = []
        self.latest = base
        self._stopped = threading.Event()
        self._seen = threading.Condition()

    def run(self) -> None:
        """Poll until stopped."""
        connection = self._connection()
        next_at = time.monotonic()
        while not self._stopped.is_set():
            try:
                count = read_count(self.port, self.slug, connection)
            except (OSError, http.client.HTTPException, ValueError):
                connection.close()
                connection = self._connection()
                continue
            with self._seen:
                self.polls.append((time.monotonic(), count))
                self.latest = count
                self._seen.notify_all()
            next_at += self.interval
            self._stopped.wait(max(0.0, next_at - time.monotonic()))
        connection.close()

    def wait_for(self, count: int, timeout: float) -> None:
        """Wait until a poll saw at least `count`, or the timeout passed."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while self.latest < count and time.monotonic() < deadline:
                self._seen.wait(0.1)

    def stop(self) -> None:
        """Stop polling."""
        self._stopped.set()
        self.join()

    def _connection(self) -> http.client.HTTPConnection:
        """A keep-alive connection to the server polled."""
        return http.client.HTTPConnection(HOST, self.port, timeout=10)
