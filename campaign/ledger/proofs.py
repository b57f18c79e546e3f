"""Reading a campaign's stored tree: node hashes and roots, entries, and the proofs the public asks for.

A proof is RFC 6962's: an audit path for a receipt's entry (inclusion), or
the hashes that show a later tree extends an earlier one (consistency).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import SmallInteger, literal, select, tuple_, union_all

from campaign.extensions import db
from campaign.ledger import merkle
from campaign.ledger.models import LedgerEntry, LedgerHead, LedgerNode, LedgerReceipt

MAX_ENTRIES = 1000


def stored_nodes(campaign_id: int, wanted: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The hashes of these nodes, in one read: stored ones (STORED_LEVEL or above) and the entries
    the smaller ones are hashed again from."""
    keys_wanted = sorted(set(wanted))
    stored = [node for node in keys_wanted if node[0] >= merkle.STORED_LEVEL]
    small = [node for node in keys_wanted if node[0] < merkle.STORED_LEVEL]
    indexes = sorted({i for level, index in small for i in range(index << level, (index + 1) << level)})
    reads = []
    if stored:
        reads.append(
            select(LedgerNode.level, LedgerNode.index, LedgerNode.hash).where(
                LedgerNode.campaign_id == campaign_id, tuple_(LedgerNode.level, LedgerNode.index).in_(stored)
            )
        )
    if indexes:
        # An entry comes back as level -1: its leaf input, hashed here.
        reads.append(
            select(literal(-1, SmallInteger), LedgerEntry.index, LedgerEntry.leaf_input).where(
                LedgerEntry.campaign_id == campaign_id, LedgerEntry.index.in_(indexes)
            )
        )
    rows = db.session.execute(reads[0] if len(reads) == 1 else union_all(*reads)).all() if reads else []
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


def receipt_state(campaign_id: int, receipt: str) -> ReceiptState | None:
    """A receipt of this campaign with its proof of inclusion in the latest head; None if there is none."""
    # The receipt, its add's entry and the latest head in one read, the proof's nodes in a second:
    # a proof is two indexed reads, whatever the tree's size.
    newest = (
        select(LedgerHead.id)
        .where(LedgerHead.campaign_id == campaign_id)
        .order_by(LedgerHead.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    row = db.session.execute(
        select(
            LedgerReceipt.added_index,
            LedgerReceipt.removed_index,
            LedgerEntry.leaf_input,
            LedgerHead.tree_size,
            LedgerHead.root_hash,
        )
        .outerjoin(
            LedgerEntry,
            (LedgerEntry.campaign_id == LedgerReceipt.campaign_id)
            & (LedgerEntry.index == LedgerReceipt.added_index),
        )
        .outerjoin(LedgerHead, LedgerHead.id == newest)
        .where(LedgerReceipt.campaign_id == campaign_id, LedgerReceipt.receipt == receipt)
    ).first()
    if row is None:
        return None
    added, removed, value, tree_size, root = row
    if added is None or value is None or tree_size is None or added >= tree_size:
        return ReceiptState(receipt, is_pending=True)
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
