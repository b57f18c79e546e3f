"""Receipts as signers meet them: on the thank-you page after confirming, and on their own page."""

from __future__ import annotations

from sqlalchemy import select

from campaign.extensions import db
from campaign.ledger import receipt_ids
from campaign.ledger.models import LedgerEntry


def receipt_of_confirmed(campaign_id: int, signature_id: int) -> str:
    """The receipt of a confirmed signature of this campaign.

    Computed, so that the thank-you page links to it at once: it answers
    "pending" until a published head includes its `add`.
    """
    return receipt_ids.receipts_for(campaign_id, [signature_id])[signature_id]


def is_receipt_of(campaign_id: int, receipt: str | None) -> bool:
    """Tell whether this is the receipt of a signature on this campaign."""
    return receipt_ids.signature_of(campaign_id, receipt) is not None


def receipts_of(signature_ids: list[int]) -> dict[int, str]:
    """The receipts of those of these signatures that ever counted (the ledger has their events)."""
    if not signature_ids:
        return {}
    in_ledger = db.session.execute(
        select(LedgerEntry.campaign_id, LedgerEntry.signature_id)
        .where(LedgerEntry.signature_id.in_(signature_ids))
        .distinct()
    ).all()
    by_campaign: dict[int, list[int]] = {}
    for campaign_id, signature_id in in_ledger:
        if signature_id is not None:
            by_campaign.setdefault(campaign_id, []).append(signature_id)
    found: dict[int, str] = {}
    for campaign_id, ids in by_campaign.items():
        found.update(receipt_ids.receipts_for(campaign_id, ids))
    return found
