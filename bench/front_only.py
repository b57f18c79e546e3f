"""`python -m bench.front_only [h] [i] [j] [k]`: the front (h), sign end to end (i), the surge (j) and
the cache-buster (k) alone.

The same stack, settings and code as `make bench`, only these benchmarks (all four unless named);
it prints the table's rows and the rounds, and writes no report. Short runs for a busy machine:
BENCH_ROUNDS=1 BENCH_DURATION=3 BENCH_WARMUP=1 BENCH_VIEWER_SECONDS=8.
"""

from __future__ import annotations

import signal
import sys
from datetime import UTC, datetime

from bench import busters, endtoend, front, front_report, harness, report, viewers
from bench.harness import attempt
from bench.settings import Settings
from bench.stack import Stack


def main() -> int:
    """Set up, measure what was asked, tear down (always), print."""
    signal.signal(signal.SIGTERM, harness.terminate)
    wanted = set(sys.argv[1:]) or {"h", "i", "j", "k"}
    settings = Settings()
    results = report.Results(settings, started_at=datetime.now(UTC))
    stack = Stack(settings)
    print(f"bench run {stack.run_id}: database {stack.database}, logs in {stack.folder}", flush=True)
    with harness.app_on(stack, keep_logs=lambda: bool(results.errors)) as app:
        tokens = viewers.prepare(stack, app) if "j" in wanted else None
        if "k" in wanted:
            busters.prepare(app)
        harness.start_services(stack)
        nginx = front.start(stack)
        if "h" in wanted:
            results.front = attempt(results, "(h) the front", lambda: front.pages(stack, nginx))
        if "i" in wanted:
            results.end_to_end = attempt(results, "(i) sign end to end", lambda: endtoend.run(stack))
        if tokens is not None:
            results.surge = attempt(results, "(j) 100,000 viewers", lambda: viewers.run(stack, nginx, tokens))
        if "k" in wanted:
            results.busted = attempt(results, "(k) a cache-buster", lambda: busters.run(stack, nginx))
    for row in front_report.rows(results):
        print(
            f"  {row.measure}: {row.app} vs {row.baseline} ratio {row.ratio} [goal {row.goal}: {row.verdict}]"
        )
    print("\n".join(front_report.details(results)))
    for name, error in results.errors.items():
        print(f"  {name}: FAILED: {error}")
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
