"""Appending to the ledger: the fold's events become leaves of their campaigns' trees.

A leaf says `add` or `remove` and names a receipt, an id that looks random
(receipt_ids), and never a person (LEDGER.md). The fold appends in its own
transaction, the counters' one, so the leaves and the counters change together.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter

from campaign import clock
from campaign.database import insert
from campaign.extensions import db
from campaign.ledger import bulk, merkle, receipt_ids
from campaign.ledger.models import LedgerTree
from campaign.ledger.proofs import stored_nodes

ADD = "add"
REMOVE = "remove"
# Why a counted signature stopped counting, as the public may read it in a `remove`.
REASONS = {"withdrawn": "withdrawn", "erased": "erased", "fraud": "fraud"}
OTHER_REASON = "invalidated"
ALL_REASONS = (*REASONS.values(), OTHER_REASON)


@dataclass(frozen=True)
class Event:
    """A signature that started (is_counted) or stopped counting, as the fold saw it."""

    campaign_id: int
    signature_id: int
    is_counted: bool
    removal_reason: str | None = None


# What a receipt is made of (receipt_ids): nothing a JSON string escapes.
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")
# An add's leaf around its receipt: the fold writes thousands, and a receipt needs no escaping.
_ADD_HEAD, _ADD_TAIL = b'{"event":"add","receipt":"', b'"}'
# One encoder for every leaf (json.dumps with options makes a new one a call: a fold writes thousands).
_LEAF_ENCODER = json.JSONEncoder(separators=(",", ":"), sort_keys=True)


def leaf_input(event: str, receipt: str, reason: str | None = None) -> bytes:
    """The UTF-8 JSON of a leaf: the event and the receipt (and why, for a remove); nothing of a person."""
    if reason is None and event == ADD and _PLAIN.fullmatch(receipt):
        # The fold writes thousands: a receipt of URL-safe characters needs no escaping.
        return _ADD_HEAD + receipt.encode() + _ADD_TAIL
    values = {"event": event, "receipt": receipt}
    if reason is not None:
        values["reason"] = reason
    return _LEAF_ENCODER.encode(values).encode()


def public_reason(removal_reason: str | None) -> str:
    """Why a signature stopped counting, as its `remove` says it."""
    return REASONS.get(removal_reason or "", OTHER_REASON)


def record(events: Iterable[Event]) -> int:
    """Append the fold's events to their campaigns' trees, in the fold's transaction; return how many.

    Each campaign's tree row is taken under its lock (in campaign order, after
    the counters the fold took in the same order), so concurrent folds append
    one after the other, and the leaves and the counters change together.
    """
    # Campaign order (the locks' order), each campaign's in signature order.
    ordered = sorted(events, key=attrgetter("campaign_id", "signature_id"))
    by_campaign: dict[int, list[Event]] = defaultdict(list)
    for event in ordered:
        by_campaign[event.campaign_id].append(event)
    for campaign_id, campaign_events in by_campaign.items():
        _append(campaign_id, campaign_events)
    return len(ordered)


# The entries are made and sent a block at a time, so that the database inserts the first while
# the next are made.
_BLOCK = 2048


def _append(campaign_id: int, events: list[Event]) -> None:
    """Append one campaign's events: O(log n) reads of its frontier, then the new leaves and nodes.

    The database's side of inserting the entries (a heap and two indexes) costs
    about as much as making them: the leaves are made and hashed while the
    first are already being inserted, and the tree's new nodes hashed while the
    last are.
    """
    start = _grow_tree(campaign_id, events)
    stored_receipts = receipt_ids.stored_receipts([event.signature_id for event in events])
    stored = stored_nodes(campaign_id, merkle.range_nodes(0, start))
    frontier = [(node, stored[node]) for node in merkle.range_nodes(0, start)]
    leaf_hashes: list[bytes] = []

    def entries() -> Iterator[tuple[bytes, int]]:
        """The new entries (leaf input, signature), a block at a time, each leaf hashed as it is made."""
        for at in range(0, len(events), _BLOCK):
            block = events[at : at + _BLOCK]
            inputs = _leaf_inputs(campaign_id, block, stored_receipts)
            leaf_hashes.extend([merkle.leaf_hash(value) for value in inputs])
            yield from zip(inputs, [event.signature_id for event in block], strict=True)

    def grown() -> list[tuple[merkle.Node, bytes]]:
        """The nodes the new leaves complete."""
        return merkle.append(frontier, start, leaf_hashes, merkle.STORED_LEVEL)

    bulk.insert_nodes(campaign_id, bulk.insert_entries(campaign_id, start, entries(), grown))


def _leaf_inputs(campaign_id: int, events: list[Event], stored: dict[int, str]) -> list[bytes]:
    """The events' leaf inputs, in order; the adds of computed receipts (nearly all) made as bytes.

    `stored` holds the receipts stored before receipts were computed, of the signatures that have one.
    """
    computed = receipt_ids.made_ascii(campaign_id, [event.signature_id for event in events])
    return [
        _ADD_HEAD + receipt + _ADD_TAIL
        if event.is_counted and event.signature_id not in stored
        else leaf_input(
            ADD if event.is_counted else REMOVE,
            stored.get(event.signature_id) or receipt.decode(),
            None if event.is_counted else public_reason(event.removal_reason),
        )
        for event, receipt in zip(events, computed, strict=True)
    ]


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
