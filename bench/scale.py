"""(e) A campaign of a million signatures against one of ten: page and count.json latency must not grow.

The fold that counts them also builds each campaign's public ledger (issue 16): the fold is timed
with the ledger's appends and without them (the same rows, unfolded in between), and inclusion
proofs for leaves of the million-leaf tree are timed through the service and through the route.
`python -m bench.scale` runs this benchmark alone (BENCH_SCALE_ROWS=100000 for a quick one).
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import Flask

from bench import population, stats, wrk
from bench.measure import settle
from bench.stack import Stack

BIG = "bench-scale-big"
SMALL = "bench-scale-small"
SMALL_ROWS = 10
# Receipts of the big campaign whose proofs are timed (each through the service and the route).
PROOF_SAMPLE = 200


@dataclass
class ScaleResult:
    """Median latencies (ms, one connection) of the big and the small campaign."""

    rows: int
    insert_seconds: float = 0.0
    # The fold with the ledger's appends (as the app runs it) and without them (the same rows).
    fold_seconds: float = 0.0
    bare_fold_seconds: float = 0.0
    big_count: int = 0
    small_count: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    # The big campaign's published head, and inclusion proofs of its leaves, in ms each.
    tree_size: int = 0
    receipts: list[str] = field(default_factory=list)
    proof_service_ms: list[float] = field(default_factory=list)
    proof_route_ms: list[float] = field(default_factory=list)

    @property
    def ledger_fold_ratio(self) -> float:
        """The fold's time with the ledger over its time without."""
        return stats.ratio(self.fold_seconds, self.bare_fold_seconds)

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
    result.bare_fold_seconds = _timed_fold(stack, app, with_ledger=False)
    _unfold(stack, [big, small])
    result.fold_seconds = _timed_fold(stack, app, with_ledger=True)
    with stack.connect() as connection:
        connection.execute("VACUUM ANALYZE people")
        connection.execute("VACUUM ANALYZE signatures")
        connection.execute("VACUUM ANALYZE ledger_nodes")
        # As autovacuum would after a million new rows: unanalyzed, the table looks empty to the
        # planner, which then reads all of it for a receipt's two entries (31 ms instead of 3).
        connection.execute("VACUUM ANALYZE ledger_entries")
    _prove_in_process(app, big, result)
    return result


def _timed_fold(stack: Stack, app: Flask, *, with_ledger: bool) -> float:
    """Seconds the app's own fold takes to count every validated signature (with the ledger or not)."""
    with stack.connect() as connection:
        connection.execute("VACUUM ANALYZE signatures")
    with contextlib.nullcontext() if with_ledger else _without_ledger():
        started = time.monotonic()
        population.fold_all(app)
        return time.monotonic() - started


@contextlib.contextmanager
def _without_ledger() -> Iterator[None]:
    """The fold as it was before the ledger: its appends left out, in this process only (the baseline)."""
    from campaign.ledger import append as ledger

    record = ledger.record
    ledger.record = lambda events: 0  # type: ignore[assignment]
    try:
        yield
    finally:
        ledger.record = record  # type: ignore[assignment]


def _unfold(stack: Stack, campaign_ids: list[int]) -> None:
    """Undo a fold of these campaigns: nothing counted, no counters, the goal it started from."""
    with stack.connect() as connection:
        connection.execute(
            "UPDATE signatures SET is_counted = false WHERE campaign_id = ANY(%s)", [campaign_ids]
        )
        for table in ("campaign_counts", "country_counts", "region_counts", "recent_counts"):
            connection.execute(f"DELETE FROM {table} WHERE campaign_id = ANY(%s)", [campaign_ids])
        connection.execute("UPDATE campaigns SET goal = 1000000 WHERE id = ANY(%s)", [campaign_ids])


def _prove_in_process(app: Flask, campaign_id: int, result: ScaleResult) -> None:
    """Publish the heads, then time the service's inclusion proof for a sample of the big tree's leaves."""
    from sqlalchemy import func, select

    from campaign.extensions import db
    from campaign.ledger import heads, proofs, receipt_ids
    from campaign.ledger.models import LedgerEntry

    with app.app_context():
        heads.publish_heads()
        found = heads.latest_head(campaign_id)
        result.tree_size = found[0].tree_size if found else 0
        sample = db.session.execute(
            select(LedgerEntry.signature_id)
            .where(LedgerEntry.campaign_id == campaign_id)
            .order_by(func.random())
            .limit(PROOF_SAMPLE)
        ).scalars()
        result.receipts = receipt_ids.made(campaign_id, [int(signature_id) for signature_id in sample])
        for receipt in result.receipts:
            started = time.perf_counter()
            state = proofs.receipt_state(campaign_id, receipt)
            result.proof_service_ms.append((time.perf_counter() - started) * 1000)
            if state is None or state.is_pending or state.tree_size != result.tree_size:
                raise RuntimeError(f"receipt {receipt} has no proof in the published head")
        db.session.rollback()


def _prove_through_route(stack: Stack, result: ScaleResult) -> None:
    """Time GET /campaigns/<big>/receipts/<receipt> as JSON over one connection, the sample in turn."""
    paths = [f"/campaigns/{BIG}/receipts/{receipt}" for receipt in result.receipts]
    run = wrk.run(stack.app_url + paths[0], "receipts.lua", paths, stack.settings.latency_duration, 1, 1)
    if run.non_2xx:
        raise RuntimeError(f"receipts answered {run.statuses}")
    result.proof_route_ms.append(run.p50_ms)


def measure(stack: Stack, result: ScaleResult) -> ScaleResult:
    """Time the page and count.json of both campaigns over one connection, interleaved, round after round."""
    settings = stack.settings
    settle(stack, settings.drain_timeout)
    result.big_count = _count(stack, BIG)
    result.small_count = _count(stack, SMALL)
    if result.receipts:
        for _ in range(settings.rounds):
            _prove_through_route(stack, result)
        print(
            f"  inclusion proof, {result.tree_size:,} leaves: service p50 "
            f"{stats.median(result.proof_service_ms):.2f} ms, route p50 "
            f"{stats.median(result.proof_route_ms):.2f} ms; fold {result.fold_seconds:.1f} s with the "
            f"ledger, {result.bare_fold_seconds:.1f} s without",
            flush=True,
        )
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


def main() -> int:
    """`python -m bench.scale`: this benchmark alone, on a database and an app of its own."""
    from bench import harness
    from bench.settings import Settings
    from bench.stack import Stack

    stack = Stack(Settings())
    with harness.app_on(stack) as app:
        result = populate(stack, app)
        stack.start_app()
        measure(stack, result)
    print(
        f"{result.rows:,} signatures: fold {result.fold_seconds:.1f} s with the ledger, "
        f"{result.bare_fold_seconds:.1f} s without (x{result.ledger_fold_ratio:.2f}); inclusion proof in a "
        f"{result.tree_size:,}-leaf tree: service p50 {stats.median(result.proof_service_ms):.2f} ms "
        f"(p95 {stats.percentile(result.proof_service_ms, 0.95):.2f}), route p50 "
        f"{stats.median(result.proof_route_ms):.2f} ms (median of rounds); "
        f"page {result.median('big page'):.2f} vs {result.median('small page'):.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
