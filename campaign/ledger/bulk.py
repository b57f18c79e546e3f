"""The rows one append writes (receipts, entries, nodes), each kind in one statement on PostgreSQL.

A fold appends thousands of events at once. Sent row by row (an executemany)
the ledger made the fold ten times slower (bench/scale.py). On PostgreSQL the
receipts are made and marked in one INSERT ... SELECT FROM unnest(arrays),
and the new entries and nodes go in by COPY. SQLite (the embedded default,
small campaigns) takes the plain executemany.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, update

from campaign.database import insert
from campaign.extensions import db
from campaign.ledger.models import LedgerEntry, LedgerNode, LedgerReceipt

# Values one statement binds at most on the executemany path (SQLite takes 32,766 parameters).
PARAMETERS_A_STATEMENT = 10_000


@dataclass(frozen=True)
class Marked:
    """One event's receipt row: a new receipt to use if the signature has none, and the leaf it gets."""

    signature_id: int
    new_receipt: str
    leaf: int
    is_add: bool


# %b: the arrays go in PostgreSQL's binary format (text arrays cost a regular expression an element).
_UPSERT_RECEIPTS = """
INSERT INTO ledger_receipts (signature_id, campaign_id, receipt, added_index, removed_index)
SELECT v.signature_id, %b, v.receipt, v.added_index, v.removed_index
FROM unnest(%b::integer[], %b::varchar[], %b::bigint[], %b::bigint[])
     AS v(signature_id, receipt, added_index, removed_index)
ON CONFLICT (signature_id) DO UPDATE SET
    added_index = COALESCE(excluded.added_index, ledger_receipts.added_index),
    removed_index = excluded.removed_index
RETURNING signature_id, receipt
"""
# New leaves and nodes are plain rows: COPY is the fastest way in.
_COPY_ENTRIES = 'COPY ledger_entries (campaign_id, "index", leaf_input) FROM STDIN (FORMAT BINARY)'
_COPY_NODES = 'COPY ledger_nodes (campaign_id, level, "index", hash) FROM STDIN (FORMAT BINARY)'


def _driver_cursor() -> Any:
    """A psycopg cursor on the session's connection, inside its transaction."""
    return db.session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]


def _is_postgresql() -> bool:
    """Tell whether the session talks to PostgreSQL."""
    return bool(db.session.get_bind().dialect.name == "postgresql")


def mark_receipts(campaign_id: int, rows: Sequence[Marked]) -> dict[int, str]:
    """Note each event's leaf in its signature's receipt (made if missing); return the receipts.

    An add sets the receipt's added leaf and clears its removed one; a remove
    sets the removed leaf (a signature counted before the ledger gets its
    receipt then).
    """
    if not rows:
        return {}
    if _is_postgresql():
        with _driver_cursor() as cursor:
            cursor.execute(
                _UPSERT_RECEIPTS,
                [
                    campaign_id,
                    [row.signature_id for row in rows],
                    [row.new_receipt for row in rows],
                    [row.leaf if row.is_add else None for row in rows],
                    [None if row.is_add else row.leaf for row in rows],
                ],
            )
            return {signature_id: receipt for signature_id, receipt in cursor.fetchall()}
    db.session.execute(
        insert(LedgerReceipt).on_conflict_do_nothing(index_elements=["signature_id"]),
        [
            {"signature_id": row.signature_id, "campaign_id": campaign_id, "receipt": row.new_receipt}
            for row in rows
        ],
    )
    for is_add, column in ((True, "added_index"), (False, "removed_index")):
        leaves = [{"id": row.signature_id, "leaf": row.leaf} for row in rows if row.is_add == is_add]
        values: dict[str, object] = {column: bindparam("leaf")}
        if is_add:
            values["removed_index"] = None
        if leaves:
            statement = update(LedgerReceipt.__table__).where(LedgerReceipt.signature_id == bindparam("id"))
            db.session.execute(statement.values(values), leaves)
    return receipts_of([row.signature_id for row in rows])


def receipts_of(signature_ids: Sequence[int]) -> dict[int, str]:
    """The receipts these signatures have, a few thousand a read."""
    found: dict[int, str] = {}
    for start in range(0, len(signature_ids), PARAMETERS_A_STATEMENT):
        chunk = list(signature_ids[start : start + PARAMETERS_A_STATEMENT])
        rows = db.session.execute(
            select(LedgerReceipt.signature_id, LedgerReceipt.receipt).where(
                LedgerReceipt.signature_id.in_(chunk)
            )
        ).all()
        found.update({signature_id: receipt for signature_id, receipt in rows})
    return found


def insert_entries(campaign_id: int, start: int, inputs: Sequence[bytes]) -> None:
    """The new leaves' inputs, numbered from `start`."""
    if _is_postgresql():
        with _driver_cursor() as cursor, cursor.copy(_COPY_ENTRIES) as copy:
            copy.set_types(["int4", "int8", "bytea"])
            for offset, value in enumerate(inputs):
                copy.write_row((campaign_id, start + offset, value))
        return
    db.session.execute(
        insert(LedgerEntry),
        [
            {"campaign_id": campaign_id, "index": start + i, "leaf_input": value}
            for i, value in enumerate(inputs)
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
