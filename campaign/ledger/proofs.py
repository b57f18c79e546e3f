"""Reading a campaign's stored tree: node hashes and roots, entries, and the proofs the public asks for.

A proof is RFC 6962's: an audit path for a receipt's entry (inclusion), or
the hashes that show a later tree extends an earlier one (consistency).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import SmallInteger, bindparam, literal, select, text, tuple_, union_all

from campaign.extensions import db
from campaign.ledger import merkle, receipt_ids
from campaign.ledger.models import LedgerEntry, LedgerHead, LedgerNode

MAX_ENTRIES = 1000


def stored_nodes(campaign_id: int, wanted: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The hashes of these nodes, in one read: stored ones (STORED_LEVEL or above) and the entries
    the smaller ones are hashed again from."""
    keys_wanted = sorted(set(wanted))
    stored = [node for node in keys_wanted if node[0] >= merkle.STORED_LEVEL]
    small = [node for node in keys_wanted if node[0] < merkle.STORED_LEVEL]
    indexes = sorted({i for level, index in small for i in range(index << level, (index + 1) << level)})
    rows = _node_rows(campaign_id, stored, indexes) if stored or indexes else []
    found = {(level, index): hashed for level, index, hashed in rows if level >= 0}
    leaves = {index: merkle.leaf_hash(value) for level, index, value in rows if level < 0}
    for level, index in small:
        covered = range(index << level, (index + 1) << level)
        if all(i in leaves for i in covered):
            found[(level, index)] = merkle.subtree_hash([leaves[i] for i in covered])
    missing = set(keys_wanted) - set(found)
    if missing:
        raise LookupError(f"ledger of campaign {campaign_id} lacks nodes {sorted(missing)[:5]}")
    return found


# On PostgreSQL the nodes and entries a proof needs are one statement with arrays, the same text
# whatever the proof: compiled once, and prepared by the driver after a few uses. Built per call
# with a row-value IN list, the statement cost more than reading it (about 0.7 ms of a 2 ms proof).
_NODES_POSTGRESQL = text(
    """
    SELECT n.level, n."index", n.hash FROM ledger_nodes AS n
    JOIN unnest(CAST(:levels AS smallint[]), CAST(:node_indexes AS bigint[])) AS w(level, at)
      ON n.level = w.level AND n."index" = w.at
    WHERE n.campaign_id = :campaign_id
    UNION ALL
    SELECT CAST(-1 AS smallint), e."index", e.leaf_input FROM ledger_entries AS e
    WHERE e.campaign_id = :campaign_id AND e."index" = ANY(CAST(:entry_indexes AS bigint[]))
    """
)


def _node_rows(campaign_id: int, stored: list[merkle.Node], indexes: list[int]) -> Sequence[Any]:
    """(level, index, hash) of the stored nodes, and (-1, index, leaf input) of the entries."""
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.execute(
            _NODES_POSTGRESQL,
            {
                "campaign_id": campaign_id,
                "levels": [level for level, _ in stored],
                "node_indexes": [index for _, index in stored],
                "entry_indexes": indexes,
            },
        ).all()
    reads = []
    if stored:
        reads.append(
            select(LedgerNode.level, LedgerNode.index, LedgerNode.hash).where(
                LedgerNode.campaign_id == campaign_id, tuple_(LedgerNode.level, LedgerNode.index).in_(stored)
            )
        )
    if indexes:
        # An entry comes back as level -1: its leaf input, hashed by the caller.
        reads.append(
            select(literal(-1, SmallInteger), LedgerEntry.index, LedgerEntry.leaf_input).where(
                LedgerEntry.campaign_id == campaign_id, LedgerEntry.index.in_(indexes)
            )
        )
    return db.session.execute(reads[0] if len(reads) == 1 else union_all(*reads)).all()


def root_hash(campaign_id: int, size: int) -> bytes:
    """The root of the campaign's tree when it had `size` leaves."""
    return merkle.range_hash(stored_nodes(campaign_id, merkle.range_nodes(0, size)), 0, size)


def _hashes(campaign_id: int, ranges: list[merkle.Range]) -> list[bytes]:
    """The hashes of these ranges of leaves, from one read of the nodes they need."""
    stored = stored_nodes(campaign_id, merkle.nodes_for(ranges))
    return [merkle.range_hash(stored, start, end) for start, end in ranges]


def entries(campaign_id: int, start: int, end: int) -> list[dict[str, Any]]:
    """The entries start..end (inclusive), as hex."""
    rows = db.session.execute(
        select(LedgerEntry.index, LedgerEntry.leaf_input)
        .where(LedgerEntry.campaign_id == campaign_id, LedgerEntry.index.between(start, end))
        .order_by(LedgerEntry.index)
    ).all()
    return [{"index": index, "leaf_input": value.hex()} for index, value in rows]


def consistency_proof(campaign_id: int, first: int, second: int) -> list[str]:
    """The proof that the tree of `second` leaves extends the one of `first` (RFC 6962 2.1.2), as hex."""
    return [hashed.hex() for hashed in _hashes(campaign_id, merkle.consistency_ranges(first, second))]


@dataclass(frozen=True)
class ReceiptState:
    """Where a receipt stands: pending until its add is in a published head, then its proof."""

    receipt: str
    is_pending: bool
    leaf_index: int | None = None
    leaf_input: bytes = b""
    tree_size: int = 0
    root_hash: bytes = b""
    audit_path: tuple[bytes, ...] = ()
    removed_index: int | None = None

    def as_json(self, slug: str) -> dict[str, Any]:
        """The receipt as its JSON shows it (LEDGER.md), with where it was removed if it was."""
        return {
            "slug": slug,
            "receipt": self.receipt,
            "leaf_index": self.leaf_index,
            "leaf_input": self.leaf_input.hex(),
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "audit_path": [hashed.hex() for hashed in self.audit_path],
            "removed_leaf_index": self.removed_index,
        }


def _events_and_head() -> Any:
    """A signature's last two events with the campaign's latest head, newest first: one statement,
    built once (its parameters are the signature and the campaign)."""
    newest = (
        select(LedgerHead.tree_size, LedgerHead.root_hash)
        .where(LedgerHead.campaign_id == bindparam("campaign_id"))
        .order_by(LedgerHead.id.desc())
        .limit(1)
        .subquery()
    )
    events = (
        select(LedgerEntry.index, LedgerEntry.leaf_input)
        .where(
            LedgerEntry.signature_id == bindparam("signature_id"),
            LedgerEntry.campaign_id == bindparam("campaign_id"),
        )
        # In the order of ix_ledger_entries_signature_id_index, which no other index gives: the
        # planner cannot walk the campaign's whole tree backwards looking for this signature.
        .order_by(LedgerEntry.signature_id.desc(), LedgerEntry.index.desc())
        .limit(2)
        .subquery()
    )
    return (
        select(events.c.index, events.c.leaf_input, newest.c.tree_size, newest.c.root_hash)
        .select_from(events.outerjoin(newest, literal(True)))
        .order_by(events.c.index.desc())
    )


_EVENTS = _events_and_head()


def receipt_state(campaign_id: int, receipt: str) -> ReceiptState | None:
    """A receipt of this campaign with its proof of inclusion in the latest head; None if there is none.

    Pending: its signature is confirmed but its `add` is not yet in a published head.
    """
    signature_id = receipt_ids.signature_of(campaign_id, receipt)
    if signature_id is None:
        return None
    rows = db.session.execute(_EVENTS, {"signature_id": signature_id, "campaign_id": campaign_id}).all()
    added, removed, value, tree_size, root = _latest_add(rows)
    if added is None or tree_size is None or added >= tree_size:
        return ReceiptState(receipt, is_pending=True) if rows or _is_confirmed(signature_id) else None
    return ReceiptState(
        receipt,
        is_pending=False,
        leaf_index=added,
        leaf_input=value,
        tree_size=tree_size,
        root_hash=root,
        audit_path=tuple(_hashes(campaign_id, merkle.inclusion_ranges(added, tree_size))),
        removed_index=removed if removed is not None and removed < tree_size else None,
    )


def _latest_add(rows: Sequence[Any]) -> tuple[int | None, int | None, bytes, int | None, bytes]:
    """From a signature's last two events (newest first, with the head): its latest add, the remove
    that undid it if any, the add's leaf input, and the head's size and root."""
    added: int | None = None
    removed: int | None = None
    value = root = b""
    tree_size: int | None = None
    for index, leaf, size, head_root in rows:
        tree_size, root = size, head_root
        if json.loads(leaf)["event"] == "remove":
            if added is None and removed is None:
                removed = index
        elif added is None:
            added, value = index, leaf
            break
    return added, removed, value, tree_size, root or b""


def _is_confirmed(signature_id: int) -> bool:
    """Tell whether a signature is confirmed (its receipt is pending until the fold appends its add)."""
    from campaign.signing.models import Signature, SignatureStatus

    status = db.session.execute(select(Signature.status).where(Signature.id == signature_id)).scalar()
    return status == SignatureStatus.VALIDATED
