"""Appending to the ledger (from the fold), publishing signed heads, and reading entries and proofs."""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import SmallInteger, func, literal, select, tuple_, union_all

from campaign import clock
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.database import insert
from campaign.extensions import db
from campaign.ledger import bulk, keys, merkle
from campaign.ledger.models import LedgerEntry, LedgerHead, LedgerKey, LedgerNode, LedgerReceipt, LedgerTree

log = logging.getLogger(__name__)

ADD = "add"
REMOVE = "remove"
# Why a counted signature stopped counting, as the public may read it in a `remove`.
REASONS = {"withdrawn": "withdrawn", "erased": "erased", "fraud": "fraud"}
OTHER_REASON = "invalidated"
ALL_REASONS = (*REASONS.values(), OTHER_REASON)
MAX_ENTRIES = 1000
PUBLIC_STATUSES = (CampaignStatus.OPEN, CampaignStatus.CLOSED)


@dataclass(frozen=True)
class Event:
    """A signature that started (is_counted) or stopped counting, as the fold saw it."""

    campaign_id: int
    signature_id: int
    is_counted: bool
    removal_reason: str | None = None


# One encoder for every leaf (json.dumps with options makes a new one a call: a fold writes thousands).
_LEAF_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True)


def leaf_input(event: str, receipt: str, reason: str | None = None) -> bytes:
    """The UTF-8 JSON of a leaf: the event and the receipt (and why, for a remove); nothing of a person."""
    values = {"event": event, "receipt": receipt}
    if reason is not None:
        values["reason"] = reason
    return _LEAF_ENCODER.encode(values).encode()


def public_reason(removal_reason: str | None) -> str:
    """Why a signature stopped counting, as its `remove` says it."""
    return REASONS.get(removal_reason or "", OTHER_REASON)


def new_receipt() -> str:
    """A random receipt id: 128 bits, URL-safe."""
    return secrets.token_urlsafe(16)


def new_receipts(count: int) -> list[str]:
    """`count` random receipt ids, as new_receipt makes them, from one draw of random bytes."""
    drawn = secrets.token_bytes(16 * count)
    return [
        base64.urlsafe_b64encode(drawn[start : start + 16]).rstrip(b"=").decode()
        for start in range(0, len(drawn), 16)
    ]


def receipt_for(signature_id: int) -> str:
    """The receipt of a signature, made the first time it is asked for (the fold or the thank-you page)."""
    receipts = _receipts({signature_id: _campaign_of(signature_id)})
    return receipts[signature_id]


def _campaign_of(signature_id: int) -> int:
    """The campaign of a signature."""
    from campaign.signing.models import Signature

    return int(
        db.session.execute(select(Signature.campaign_id).where(Signature.id == signature_id)).scalar_one()
    )


def _receipts(campaigns: dict[int, int]) -> dict[int, str]:
    """The receipts of these signatures (signature id -> campaign id), making those that are missing."""
    if not campaigns:
        return {}
    db.session.execute(
        insert(LedgerReceipt).on_conflict_do_nothing(index_elements=["signature_id"]),
        [
            {"signature_id": signature_id, "campaign_id": campaign_id, "receipt": new_receipt()}
            for signature_id, campaign_id in sorted(campaigns.items())
        ],
    )
    return bulk.receipts_of(sorted(campaigns))


def record(events: Iterable[Event]) -> int:
    """Append the fold's events to their campaigns' trees, in the fold's transaction; return how many.

    Each campaign's tree row is taken under its lock (in campaign order, after
    the counters the fold took in the same order), so concurrent folds append
    one after the other, and the leaves and the counters change together.
    """
    ordered = sorted(events, key=lambda e: (e.campaign_id, e.signature_id))
    by_campaign: dict[int, list[Event]] = defaultdict(list)
    for event in ordered:
        by_campaign[event.campaign_id].append(event)
    for campaign_id, campaign_events in by_campaign.items():
        _append(campaign_id, campaign_events)
    return len(ordered)


def _append(campaign_id: int, events: list[Event]) -> None:
    """Append one campaign's events: O(log n) reads of its frontier, then the new leaves and nodes."""
    start = _grow_tree(campaign_id, events)
    fresh = new_receipts(len(events))
    receipts = bulk.mark_receipts(
        campaign_id,
        [bulk.Marked(e.signature_id, fresh[i], start + i, e.is_counted) for i, e in enumerate(events)],
    )
    inputs = [
        leaf_input(ADD, receipts[e.signature_id])
        if e.is_counted
        else leaf_input(REMOVE, receipts[e.signature_id], public_reason(e.removal_reason))
        for e in events
    ]
    stored = _nodes(campaign_id, merkle.range_nodes(0, start))
    frontier = [(node, stored[node]) for node in merkle.range_nodes(0, start)]
    made = merkle.append(frontier, start, [merkle.leaf_hash(value) for value in inputs])
    bulk.insert_entries(campaign_id, start, inputs)
    bulk.insert_nodes(campaign_id, [(node, hash_) for node, hash_ in made if node[0] >= merkle.STORED_LEVEL])


def _grow_tree(campaign_id: int, events: list[Event]) -> int:
    """Count the events into the campaign's tree row (taking its lock); return the tree's size before."""
    added = sum(1 for event in events if event.is_counted)
    reasons = Counter(public_reason(e.removal_reason) for e in events if not e.is_counted)
    removed = {f"removed_{reason}": reasons[reason] for reason in ALL_REASONS}
    statement = insert(LedgerTree).values(
        campaign_id=campaign_id, size=len(events), additions=added, removals=len(events) - added, **removed
    )
    summed = {
        column: getattr(LedgerTree, column) + getattr(statement.excluded, column)
        for column in ("size", "additions", "removals", *removed)
    }
    size = db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["campaign_id"], set_={**summed, "updated_at": clock.now()}
        ).returning(LedgerTree.size)
    ).scalar_one()
    return int(size) - len(events)


def _nodes(campaign_id: int, wanted: Iterable[merkle.Node]) -> dict[merkle.Node, bytes]:
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
    return merkle.range_hash(_nodes(campaign_id, merkle.range_nodes(0, size)), 0, size)


def _hashes(campaign_id: int, ranges: list[merkle.Range]) -> list[bytes]:
    """The hashes of these ranges of leaves, from one read of the nodes they need."""
    stored = _nodes(campaign_id, merkle.nodes_for(ranges))
    return [merkle.range_hash(stored, start, end) for start, end in ranges]


# ------------------------------------------------------------------ heads


def published_at_text(moment: datetime) -> str:
    """A head's time as it is signed and shown: ISO 8601, UTC, whole seconds."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_text(slug: str, tree_size: int, root_hex: str, published_at: str) -> bytes:
    """What a head's signature covers: slug, size, root and time, one a line."""
    return f"{slug}\n{tree_size}\n{root_hex}\n{published_at}".encode()


def publish_heads(now: datetime | None = None) -> int:
    """Sign and publish a head for every public campaign whose tree (or signing key) changed; return how many.

    A public campaign with no head yet gets one, of its empty tree if need be.
    """
    moment = (now or clock.now()).replace(microsecond=0)
    latest = _latest_heads_subquery()
    rows = db.session.execute(
        select(Campaign.id, Campaign.slug, LedgerTree, LedgerHead)
        .outerjoin(LedgerTree, LedgerTree.campaign_id == Campaign.id)
        .outerjoin(latest, latest.c.campaign_id == Campaign.id)
        .outerjoin(LedgerHead, LedgerHead.id == latest.c.id)
        .where(Campaign.status.in_(PUBLIC_STATUSES))
        .order_by(Campaign.id)
    ).all()
    current = keys.current_key_row()
    key_id = current.id if current else None
    signer: keys.SigningKey | None = None
    published = 0
    for campaign_id, slug, tree, head in rows:
        size = tree.size if tree else 0
        if head is not None and (head.tree_size, head.slug, head.key_id) == (size, slug, key_id):
            continue
        signer = signer or keys.signing_key()
        key_id = signer.id
        _publish(campaign_id, slug, tree, signer, moment)
        published += 1
    db.session.commit()
    return published


def _latest_heads_subquery() -> Any:
    """The id of each campaign's newest head."""
    return (
        select(LedgerHead.campaign_id, func.max(LedgerHead.id).label("id"))
        .group_by(LedgerHead.campaign_id)
        .subquery()
    )


def _publish(
    campaign_id: int, slug: str, tree: LedgerTree | None, signer: keys.SigningKey, moment: datetime
) -> None:
    """Sign the campaign's tree as it stands and add the head."""
    size = tree.size if tree else 0
    root = root_hash(campaign_id, size)
    text = signed_text(slug, size, root.hex(), published_at_text(moment))
    db.session.add(
        LedgerHead(
            campaign_id=campaign_id,
            slug=slug,
            tree_size=size,
            root_hash=root,
            additions=tree.additions if tree else 0,
            removals=tree.removals if tree else 0,
            published_at=moment,
            key_id=signer.id,
            signature=signer.private.sign(text),
        )
    )


def latest_head(campaign_id: int) -> tuple[LedgerHead, bytes] | None:
    """The campaign's newest head and the public key it was signed with."""
    row = db.session.execute(
        select(LedgerHead, LedgerKey.public_key)
        .join(LedgerKey, LedgerKey.id == LedgerHead.key_id)
        .where(LedgerHead.campaign_id == campaign_id)
        .order_by(LedgerHead.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def head_json(head: LedgerHead, public_key: bytes) -> dict[str, Any]:
    """A head as ledger.json shows it (LEDGER.md)."""
    return {
        "slug": head.slug,
        "tree_size": head.tree_size,
        "root_hash": head.root_hash.hex(),
        "additions": head.additions,
        "removals": head.removals,
        "published_at": published_at_text(head.published_at),
        "public_key": public_key.hex(),
        "signature": head.signature.hex(),
    }


# ------------------------------------------------------------------ entries and proofs


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
