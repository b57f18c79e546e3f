"""The rows one append writes (entries and nodes), each kind in one statement on PostgreSQL.

A fold appends thousands of events at once. Sent row by row (an executemany)
the ledger made the fold ten times slower (bench/scale.py). On PostgreSQL the
new entries and nodes go in by COPY; SQLite (the embedded default, small
campaigns) takes the plain executemany. The tables have no foreign keys: a
check per row doubled the ledger's cost, and their rows are never deleted
(the campaigns and counted signatures they name are not).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from psycopg.adapt import PyFormat

from campaign.database import insert
from campaign.extensions import db
from campaign.ledger.models import LedgerEntry, LedgerNode

T = TypeVar("T")

# New leaves and nodes are plain rows: COPY is the fastest way in.
_COPY_ENTRIES = (
    'COPY ledger_entries (campaign_id, "index", leaf_input, signature_id) FROM STDIN (FORMAT BINARY)'
)
_COPY_NODES = 'COPY ledger_nodes (campaign_id, level, "index", hash) FROM STDIN (FORMAT BINARY)'


def _driver_cursor() -> Any:
    """A psycopg cursor on the session's connection, inside its transaction, that COPYs bytes fast.

    COPY finds bytea's dumper by type: psycopg's DB-API `Binary` wrapper owns
    it, a Python layer over the C dumper that cost half of writing a row. This
    cursor's own adapters take the C dumper of bytes for bytea.
    """
    cursor = db.session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.adapters.register_dumper(bytes, cursor.adapters.get_dumper(bytes, PyFormat.BINARY))
    return cursor


def _is_postgresql() -> bool:
    """Tell whether the session talks to PostgreSQL."""
    return bool(db.session.get_bind().dialect.name == "postgresql")


def insert_entries(
    campaign_id: int, start: int, entries: Iterable[tuple[bytes, int]], meanwhile: Callable[[], T]
) -> T:
    """The new leaves, numbered from `start`, each (leaf input, signature whose event it is); return
    what `meanwhile` returns, run while PostgreSQL inserts the last of them.

    On PostgreSQL the entries are sent as `entries` yields them, so whatever
    makes them overlaps with the server inserting the ones before.
    """
    if _is_postgresql():
        with _driver_cursor() as cursor, cursor.copy(_COPY_ENTRIES) as copy:
            copy.set_types(["int4", "int8", "bytea", "int4"])
            for index, (value, signature_id) in enumerate(entries, start):
                copy.write_row((campaign_id, index, value, signature_id))
            return meanwhile()
    rows = [
        {"campaign_id": campaign_id, "index": index, "leaf_input": value, "signature_id": signature_id}
        for index, (value, signature_id) in enumerate(entries, start)
    ]
    if rows:
        db.session.execute(insert(LedgerEntry), rows)
    return meanwhile()


def insert_nodes(campaign_id: int, nodes: Sequence[tuple[tuple[int, int], bytes]]) -> None:
    """The complete subtrees an append made, as ((level, index), hash)."""
    if not nodes:
        return
    if _is_postgresql():
        with _driver_cursor() as cursor, cursor.copy(_COPY_NODES) as copy:
            copy.set_types(["int4", "int2", "int8", "bytea"])
            for (level, index), hashed in nodes:
                copy.write_row((campaign_id, level, index, hashed))
        return
    db.session.execute(
        insert(LedgerNode),
        [
            {"campaign_id": campaign_id, "level": level, "index": index, "hash": hashed}
            for (level, index), hashed in nodes
        ],
    )
