"""What the campaign page says of the ledger: how many count, how many were removed, and why."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from campaign.extensions import db
from campaign.ledger import append
from campaign.ledger.models import LedgerTree


@dataclass(frozen=True)
class Tally:
    """A campaign's ledger as it stands: counted (additions - removals), removed, and the reasons seen."""

    counted: int
    removed: int
    reasons: tuple[str, ...]


def tally(campaign_id: int) -> Tally | None:
    """The campaign's tally from its tree row (one read); None before anything was appended."""
    tree = db.session.execute(select(LedgerTree).where(LedgerTree.campaign_id == campaign_id)).scalar()
    if tree is None:
        return None
    # Most frequent first: "why: fraud, withdrawn" when fraud removed the most.
    by_reason = sorted(
        ((getattr(tree, f"removed_{reason}"), reason) for reason in append.ALL_REASONS),
        key=lambda pair: -pair[0],
    )
    reasons = tuple(reason for removed, reason in by_reason if removed > 0)
    return Tally(tree.additions - tree.removals, tree.removals, reasons)
