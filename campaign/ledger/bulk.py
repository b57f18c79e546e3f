"""The rows one append writes (entries and nodes), each kind in one statement on PostgreSQL.

A fold appends thousands of events at once. Sent row by row (an executemany)
the ledger made the fold ten times slower (bench/scale.py). On PostgreSQL the
new entries and nodes go in by COPY; SQLite (the embedded default, small
campaigns) takes the plain executemany. The tables have no foreign keys: a
check per row doubled the ledger's cost, and their rows are never deleted
(the campaigns and counted signatures they name are not).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from campaign.database import insert
from campaign.extensions import db
from campaign.ledger.models import LedgerEntry, LedgerNode

# New leaves and nodes are plain rows: COPY is the fastest way in.
_COPY_ENTRIES = (
    'COPY ledger_entries (campaign_id, "index", leaf_input, signature_id) FROM STDIN (FORMAT BINARY)'
)
_COPY_NODES = 'COPY ledger_nodes (campaign_id, level, "index", hash) FROM STDIN (FORMAT BINARY)'


def _driver_cursor() -> Any:
    """A psycopg cursor on the session's connection, inside its transaction."""
    return db.session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]


def _is_postgresql() -> bool:
    """Tell whether the session talks to PostgreSQL."""
    return bool(db.session.get_bind().dialect.name == "postgresql")


def insert_entries(
    campaign_id: int, start: int, inputs: Sequence[bytes], signature_ids: Sequence[int]
) -> None:
    """The new leaves' inputs, numbered from `start`, each with the signature whose event it is."""
    if _is_postgresql():
        with _driver_cursor() as cursor, cursor.copy(_COPY_ENTRIES) as copy:
            copy.set_types(["int4", "int8", "bytea", "int4"])
            for offset, (value, signature_id) in enumerate(zip(inputs, signature_ids, strict=True)):
                copy.write_row((campaign_id, start + offset, value, signature_id))
        return
    db.session.execute(
        insert(LedgerEntry),
        [
            {
                "campaign_id": campaign_id,
                "index": start + i,
                "leaf_input": value,
                "signature_id": signature_id,
            }
            for i, (value, signature_id) in enumerate(zip(inputs, signature_ids, strict=True))
        ],
    )


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
