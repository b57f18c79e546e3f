"""What every benchmark run shares: the stack's database and app set up and always torn down,
the services started, one benchmark attempted at a time, and SIGTERM turned into an exit."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from flask import Flask

from bench import bare_app
from bench.stack import Stack

if TYPE_CHECKING:
    from bench import report

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


def terminate(signum: int, _frame: object) -> None:
    """Turn SIGTERM into an exception so that every child is stopped and the database dropped."""
    raise SystemExit(128 + signum)


@contextmanager
def app_on(stack: Stack, keep_logs: Callable[[], bool] = lambda: False) -> Iterator[Flask]:
    """The run's database (with the bare app's table), environment and app; the stack always closed after.

    `keep_logs` is asked at the close (inside the teardown, so sys.exc_info() still shows a failure).
    """
    app: Flask | None = None
    try:
        stack.create_database()
        with stack.connect() as connection:
            connection.execute(bare_app.SCHEMA)
        stack.apply_environment()
        from campaign import create_app

        app = create_app()
        yield app
    finally:
        if app is not None:
            from campaign.extensions import db

            with app.app_context():
                db.engine.dispose()
        stack.close(keep_logs=keep_logs())


def start_services(stack: Stack) -> None:
    """The SMTP sink, the app, the bare app, a worker and beat, as the full run starts them."""
    stack.start_smtp()
    stack.start_app()
    stack.start_bare()
    stack.start_worker()
    stack.start_beat()
