"""Receipts as signers meet them: on the thank-you page after confirming, and on their own page."""

from __future__ import annotations

from sqlalchemy import select

from campaign.extensions import db
from campaign.ledger import append
from campaign.ledger.models import LedgerReceipt

# A receipt is 22 URL-safe characters (append.new_receipt); anything much longer is not one.
MAX_LENGTH = 64


def receipt_if_counting(signature_id: int) -> str | None:
    """The receipt of a confirmed signature, made now if the fold has not made it yet; None otherwise.

    Made at confirmation so that the thank-you page can link to it at once
    (it answers "pending" until a published head includes its `add`).
    """
    from campaign.signing.models import Signature, SignatureStatus

    status = db.session.execute(select(Signature.status).where(Signature.id == signature_id)).scalar()
    if status != SignatureStatus.VALIDATED:
        return None
    return append.receipt_for(signature_id)


def is_receipt_of(campaign_id: int, receipt: str | None) -> bool:
    """Tell whether this is the receipt of a signature on this campaign."""
    if not receipt or len(receipt) > MAX_LENGTH:
        return False
    found = db.session.execute(
        select(LedgerReceipt.signature_id).where(
            LedgerReceipt.campaign_id == campaign_id, LedgerReceipt.receipt == receipt
        )
    ).first()
    return found is not None


def receipts_of(signature_ids: list[int]) -> dict[int, str]:
    """The receipts these signatures have (those that ever counted), by signature id, in one read."""
    if not signature_ids:
        return {}
    rows = db.session.execute(
        select(LedgerReceipt.signature_id, LedgerReceipt.receipt).where(
            LedgerReceipt.signature_id.in_(signature_ids), LedgerReceipt.added_index.is_not(None)
        )
    ).all()
    return {signature_id: receipt for signature_id, receipt in rows}
