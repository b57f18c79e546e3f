"""Statements run under the plan PostgreSQL may keep for them: prepared at once, and generic.

psycopg prepares a statement run often (after 5 runs), and PostgreSQL may then
keep one generic plan for it, whatever its parameters, made from the table as
it was then, until an ANALYZE invalidates it (none runs while autovacuum is
off). `generic_plans` makes that happen at the first run, so that a test can
prepare a statement on a small table, grow the table, and see what the kept
plan reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text

_READ = text(
    "SELECT coalesce(idx_tup_fetch, 0) + seq_tup_read FROM pg_stat_xact_user_tables WHERE relname = :table"
)


@contextmanager
def generic_plans(db: Any) -> Iterator[None]:
    """Within one transaction of the session, every statement prepared at its first run with a
    generic plan; rolled back at the end, and the connection (which keeps those plans) dropped."""
    connection = db.session.connection()
    driver = connection.connection.driver_connection
    threshold, driver.prepare_threshold = driver.prepare_threshold, 0
    try:
        db.session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
        yield
    finally:
        driver.prepare_threshold = threshold
        connection.invalidate()
        db.session.rollback()


def rows_read(db: Any, table: str) -> int:
    """How many rows of `table` this transaction has read so far, by index or by scan."""
    return int(db.session.execute(_READ, {"table": table}).scalar_one())
