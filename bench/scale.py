"""(e) A campaign of a million signatures against one of ten: page and count.json latency must not grow."""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass, field

from flask import Flask

from bench import population, stats, wrk
from bench.measure import settle
from bench.stack import Stack

BIG = "bench-scale-big"
SMALL = "bench-scale-small"
SMALL_ROWS = 10


@dataclass
class ScaleResult:
    """Median latencies (ms, one connection) of the big and the small campaign."""

    rows: int
    insert_seconds: float = 0.0
    fold_seconds: float = 0.0
    big_count: int = 0
    small_count: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)

    def median(self, key: str) -> float:
        """Median p50 latency of one target over the rounds."""
        return stats.median(self.latencies.get(key, []))

    def ratio(self, what: str) -> float:
        """Big campaign latency / small campaign latency, for 'page' or 'count'."""
        return stats.ratio(self.median(f"big {what}"), self.median(f"small {what}"))


def populate(stack: Stack, app: Flask) -> ScaleResult:
    """Create the big and the small campaign, validated, and fold them with the app's own fold."""
    result = ScaleResult(rows=stack.settings.scale_rows)
    big = population.make_campaign(app, BIG, "A campaign of a million signatures")
    small = population.make_campaign(app, SMALL, "A campaign of ten signatures")
    started = time.monotonic()
    with stack.connect() as connection:
        sealed = population.sealed_sample(app)
        population.add_signatures(connection, big, "big", result.rows, "validated", sealed)
        population.add_signatures(connection, small, "small", SMALL_ROWS, "validated", sealed)
    result.insert_seconds = time.monotonic() - started
    started = time.monotonic()
    population.fold_all(app)
    result.fold_seconds = time.monotonic() - started
    with stack.connect() as connection:
        connection.execute("VACUUM ANALYZE people")
        connection.execute("VACUUM ANALYZE signatures")
    return result


def measure(stack: Stack, result: ScaleResult) -> ScaleResult:
    """Time the page and count.json of both campaigns over one connection, interleaved, round after round."""
    settings = stack.settings
    settle(stack, settings.drain_timeout)
    result.big_count = _count(stack, BIG)
    result.small_count = _count(stack, SMALL)
    targets = {
        "big page": f"/campaigns/{BIG}",
        "small page": f"/campaigns/{SMALL}",
        "big count": f"/campaigns/{BIG}/count.json",
        "small count": f"/campaigns/{SMALL}/count.json",
    }
    for path in targets.values():
        wrk.run(stack.app_url + path, "get.lua", [path], 1, 1, 1)
    for round_number in range(settings.rounds):
        for key, path in targets.items():
            run = wrk.run(stack.app_url + path, "get.lua", [path], settings.latency_duration, 1, 1)
            if run.non_2xx:
                raise RuntimeError(f"{path} answered {run.statuses}")
            result.latencies.setdefault(key, []).append(run.p50_ms)
        print(
            f"  scale round {round_number + 1}: page {result.latencies['big page'][-1]:.2f} ms vs "
            f"{result.latencies['small page'][-1]:.2f} ms, count.json "
            f"{result.latencies['big count'][-1]:.2f} ms vs {result.latencies['small count'][-1]:.2f} ms",
            flush=True,
        )
    return result


def _count(stack: Stack, slug: str) -> int:
    """What count.json says."""
    with urllib.request.urlopen(f"{stack.app_url}/campaigns/{slug}/count.json", timeout=10) as response:
        return int(json.load(response)["count"])
