"""What the benchmarks share: pairs of wrk runs (app and baseline) and waiting for the worker to catch up."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench import cpu, disk, stats
from bench.stack import Stack
from bench.wrk import WrkResult


@dataclass
class Measured:
    """A wrk run, the CPU milliseconds each request cost per component, and the disk's stalls meanwhile."""

    result: WrkResult
    cpu_ms: dict[str, float]
    disk: disk.Disk = field(default_factory=disk.Disk)


def with_cpu(stack: Stack, load: Callable[[], WrkResult]) -> Measured:
    """Run a load and account the CPU every component spent on it; probe the disk beside it."""
    before = cpu.snapshot(stack)
    with disk.probe(stack) as probe:
        result = load()
    after = cpu.snapshot(stack)
    return Measured(result, cpu.per_request(before, after, result.requests), probe.disk)


@dataclass
class Pair:
    """Rounds of the app and of its baseline, run back to back under the same load."""

    name: str
    app: list[WrkResult] = field(default_factory=list)
    baseline: list[WrkResult] = field(default_factory=list)
    app_cpu: list[dict[str, float]] = field(default_factory=list)
    baseline_cpu: list[dict[str, float]] = field(default_factory=list)
    app_disk: list[disk.Disk] = field(default_factory=list)

    def add(self, app: Measured, baseline: Measured) -> None:
        """Keep one round."""
        self.app.append(app.result)
        self.app_cpu.append(app.cpu_ms)
        self.app_disk.append(app.disk)
        self.baseline.append(baseline.result)
        self.baseline_cpu.append(baseline.cpu_ms)

    def cpu_table(self, rounds: list[dict[str, float]]) -> dict[str, float]:
        """Median CPU ms per request of each component over the rounds."""
        keys = sorted({key for cpu_ms in rounds for key in cpu_ms})
        return {key: stats.median([cpu_ms.get(key, 0.0) for cpu_ms in rounds]) for key in keys}

    def app_rate(self) -> float:
        """Median requests a second of the app."""
        return stats.median([r.rate for r in self.app])

    def baseline_rate(self) -> float:
        """Median requests a second of the baseline."""
        return stats.median([r.rate for r in self.baseline])

    def ratio(self) -> float:
        """Median over rounds of app rate / baseline rate in the same round."""
        return stats.median(
            [stats.ratio(a.rate, b.rate) for a, b in zip(self.app, self.baseline, strict=False)]
        )

    def app_latency(self, which: str) -> float:
        """Median over rounds of the app's p50_ms / p99_ms."""
        return stats.median([getattr(r, which) for r in self.app])

    def baseline_latency(self, which: str) -> float:
        """Median over rounds of the baseline's p50_ms / p99_ms."""
        return stats.median([getattr(r, which) for r in self.baseline])


# What the app's worker still owes: mail due, and signatures the fold has not counted.
APP_OWED = (
    "SELECT (SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
    "        AND next_attempt_at <= (now() AT TIME ZONE 'utc') + interval '1 second')"
    " + (SELECT count(*) FROM signatures WHERE (status = 'validated') <> is_counted)"
)


def settle(stack: Stack, timeout: float, owed: str = APP_OWED) -> float:
    """Wait until the `owed` count (the app's worker's, unless told) is zero; return the seconds waited."""
    # A baseline must not run while the app's worker is still busy with what the
    # previous app round left behind, or the baseline pays for the app's work.
    started = time.monotonic()
    with stack.connect() as connection:
        while time.monotonic() - started < timeout:
            row = connection.execute(owed).fetchone()
            if row is None or not row[0]:
                break
            time.sleep(0.25)
    return time.monotonic() - started
