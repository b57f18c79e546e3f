"""What the campaign page says of the ledger: how many count, how many were removed, and why."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import pgettext
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

    @property
    def reason_names(self) -> list[str]:
        """The reasons seen, as the page names them in the reader's language."""
        return [reason_name(reason) for reason in self.reasons]


def reason_name(reason: str) -> str:
    """Why signatures were removed (append.ALL_REASONS), in the reader's language; an unknown one as it is."""
    # A context for each word: alone, "fraud" or "withdrawn" could be a verb, a person or a state.
    names = {
        # Translators: why signatures left the public ledger: their signers withdrew them.
        "withdrawn": pgettext("ledger removal reason", "withdrawn"),
        # Translators: why signatures left the public ledger: their signers' data was erased.
        "erased": pgettext("ledger removal reason", "erased"),
        # Translators: why signatures left the public ledger: they were found to be fraudulent.
        "fraud": pgettext("ledger removal reason", "fraud"),
        # Translators: why signatures left the public ledger: staff invalidated them.
        "invalidated": pgettext("ledger removal reason", "invalidated by staff"),
    }
    return names.get(reason, reason)


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
