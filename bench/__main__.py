"""`python -m bench`: run every benchmark in one run, print the ratios, write docs/BENCHMARKS.md."""

from __future__ import annotations

import signal
import sys
import time
from datetime import UTC, datetime

from bench import (
    busters,
    endtoend,
    exports,
    freshness,
    front,
    harness,
    machine,
    mailout,
    report,
    scale,
    throughput,
    viewers,
)
from bench.harness import attempt
from bench.settings import Settings
from bench.stack import ROOT, Stack


def main() -> int:
    """Set up, measure, tear down (always), then report."""
    # A TERM (a CI timeout, kill) ends the run through harness.app_on's teardown, like Ctrl-C.
    signal.signal(signal.SIGTERM, harness.terminate)
    settings = Settings()
    results = report.Results(settings, started_at=datetime.now(UTC))
    started = time.monotonic()
    stack = Stack(settings)
    print(f"bench run {stack.run_id}: database {stack.database}, logs in {stack.folder}", flush=True)

    def keep_logs() -> bool:
        """After a failed benchmark, or a run that ended early (SIGTERM, Ctrl-C, a crash)."""
        return bool(results.errors) or sys.exc_info()[0] is not None

    with harness.app_on(stack, keep_logs) as app:
        populated = attempt(results, "(e) populate the big campaign", lambda: scale.populate(stack, app))
        tokens = attempt(results, "(d) prepare pending signatures", lambda: freshness.prepare(stack, app))
        medium = attempt(results, "export: prepare 100,000 signatures", lambda: exports.prepare(stack, app))
        surge_tokens = attempt(results, "(j) prepare the surge", lambda: viewers.prepare(stack, app))
        busted = attempt(results, "(k) prepare the busted campaign", lambda: busters.prepare(app))
        harness.start_services(stack)
        nginx = attempt(results, "(h) start nginx before the app", lambda: front.start(stack))
        results.page = attempt(results, "(c) page views", lambda: throughput.page_views(stack))
        if nginx is not None:
            results.front = attempt(results, "(h) the front", lambda: front.pages(stack, nginx))
        if populated is not None:
            results.scale = attempt(results, "(e) scale", lambda: scale.measure(stack, populated))
        results.sign = attempt(
            results, "(a)(b)(f) sign throughput", lambda: throughput.sign_throughput(stack)
        )
        results.end_to_end = attempt(results, "(i) sign end to end", lambda: endtoend.run(stack))
        if tokens is not None:
            results.fresh = attempt(results, "(d) freshness", lambda: freshness.run(stack, tokens))
        if nginx is not None and surge_tokens is not None:
            results.surge = attempt(
                results, "(j) 100,000 viewers", lambda: viewers.run(stack, nginx, surge_tokens)
            )
        if nginx is not None and busted is not None:
            results.busted = attempt(results, "(k) a cache-buster", lambda: busters.run(stack, nginx))
        results.mail = attempt(results, "(g) mail out", lambda: mailout.run(stack, app))
        if populated is not None and medium is not None:
            results.export_sizes = (exports.MEDIUM_ROWS, populated.rows)
            results.exports = attempt(results, "exports", lambda: exports.run(stack, populated.rows))
        results.machine = machine.describe(stack)
    results.seconds = time.monotonic() - started
    path = report.write(results, ROOT)
    report.print_ratios(results)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"\nWrote {shown} ({results.seconds / 60:.1f} minutes)")
    if results.errors:
        print(f"Logs of the failed run kept in {stack.folder}")
    return 1 if results.errors else 0


if __name__ == "__main__":
    sys.exit(main())
