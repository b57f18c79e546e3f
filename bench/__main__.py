"""`python -m bench`: run every benchmark in one run, print the ratios, write docs/BENCHMARKS.md."""

from __future__ import annotations

import signal
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from bench import (
    bare_app,
    endtoend,
    exports,
    freshness,
    front,
    machine,
    mailout,
    report,
    scale,
    throughput,
    viewers,
)
from bench.settings import Settings
from bench.stack import ROOT, Stack

T = TypeVar("T")


def attempt(results: report.Results, name: str, step: Callable[[], T]) -> T | None:
    """Run one benchmark; a failure is recorded in the report instead of ending the run."""
    print(f"{name}...", flush=True)
    started = time.monotonic()
    try:
        value = step()
    except Exception as error:  # one benchmark failing must not hide the others
        traceback.print_exc()
        results.errors[name] = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        return None
    print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
    return value


def _terminate(signum: int, _frame: object) -> None:
    """Turn SIGTERM into an exception so that every child is stopped and the database dropped."""
    raise SystemExit(128 + signum)


def main() -> int:
    """Set up, measure, tear down (always), then report."""
    # A TERM (a CI timeout, kill) ends the run through the finally below, like Ctrl-C.
    signal.signal(signal.SIGTERM, _terminate)
    settings = Settings()
    results = report.Results(settings, started_at=datetime.now(UTC))
    started = time.monotonic()
    stack = Stack(settings)
    app: Any = None
    print(f"bench run {stack.run_id}: database {stack.database}, logs in {stack.folder}", flush=True)
    try:
        stack.create_database()
        with stack.connect() as connection:
            connection.execute(bare_app.SCHEMA)
        stack.apply_environment()
        from campaign import create_app

        app = create_app()
        populated = attempt(results, "(e) populate the big campaign", lambda: scale.populate(stack, app))
        tokens = attempt(results, "(d) prepare pending signatures", lambda: freshness.prepare(stack, app))
        medium = attempt(results, "export: prepare 100,000 signatures", lambda: exports.prepare(stack, app))
        surge_tokens = attempt(results, "(j) prepare the surge", lambda: viewers.prepare(stack, app))
        stack.start_smtp()
        stack.start_app()
        stack.start_bare()
        stack.start_worker()
        stack.start_beat()
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
        results.mail = attempt(results, "(g) mail out", lambda: mailout.run(stack, app))
        if populated is not None and medium is not None:
            results.export_sizes = (exports.MEDIUM_ROWS, populated.rows)
            results.exports = attempt(results, "exports", lambda: exports.run(stack, populated.rows))
        results.machine = machine.describe(stack)
    finally:
        if app is not None:
            from campaign.extensions import db

            with app.app_context():
                db.engine.dispose()
        stack.close(keep_logs=bool(results.errors) or sys.exc_info()[0] is not None)
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
