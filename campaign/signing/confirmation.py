"""After the sign request: confirming a signature by its link, a fresh link, and invalidation.

Confirming makes a pending signature count from the next fold; invalidating
(fraud, a staff decision) takes it out again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select, update

from campaign import clock, dispatch
from campaign.campaigns.models import Campaign, CampaignKind, CampaignStatus, takes_signatures
from campaign.counts.fold import FOLD_TASK
from campaign.extensions import db
from campaign.mail import suppressions
from campaign.signing import messages
from campaign.signing.models import Signature, SignatureStatus
from campaign.targets import service as targets
from campaign.webhooks import events as webhooks


def resend_confirmation(signature_id: int) -> bool:
    """Send a fresh link to a pending signature whose link expired; tell whether one was owed."""
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.status != SignatureStatus.PENDING:
        return False
    if signature.person is None:
        return False  # erased: no address to write to
    index = signature.person.email_index
    if suppressions.is_closed(index):
        return False  # the address bounced for good, or its owner stopped all email: the pump would drop it
    messages.owe_confirmation(signature.id, f":renew:{clock.now():%Y%m%d%H}", recipient_index=index)
    return True


def signature_or_none(signature_id: int | None) -> Signature | None:
    """The signature with this id, if there is one."""
    return None if signature_id is None else db.session.get(Signature, signature_id)


@dataclass(frozen=True)
class Confirmation:
    """What confirming a signature came to: where its campaign is, whether it counts from now, and
    whether it counts at all (it may have been invalidated since, or its campaign taken down)."""

    campaign_slug: str
    is_new: bool
    campaign_id: int
    is_validated: bool


# A signature given while the campaign was open counts once confirmed, even
# after it closed; a campaign taken down (or back in review) takes none.
# Both statements are built once, of the tables rather than the entities (no
# ORM step): every confirmation runs them, and building them per request cost
# more than running them.
_SIGNATURES = Signature.__table__.c
_CAMPAIGNS = Campaign.__table__.c
_CONFIRM = (
    update(Signature.__table__)
    .where(
        _SIGNATURES.id == bindparam("signature_id"),
        _SIGNATURES.status == SignatureStatus.PENDING,
        select(_CAMPAIGNS.id)
        .where(
            _CAMPAIGNS.id == _SIGNATURES.campaign_id,
            _CAMPAIGNS.status.in_([CampaignStatus.OPEN, CampaignStatus.CLOSED]),
        )
        .exists(),
    )
    .values(
        status=SignatureStatus.VALIDATED, validated_at=bindparam("now", type_=_SIGNATURES.validated_at.type)
    )
)
_CONFIRMED = (
    select(
        _CAMPAIGNS.slug,
        _CAMPAIGNS.kind,
        _CAMPAIGNS.status,
        _CAMPAIGNS.opens_at,
        _CAMPAIGNS.closes_at,
        _CAMPAIGNS.id,
        _SIGNATURES.status.label("signature_status"),
        # Whether signature.confirmed is wanted: where it is not, emitting it would write nothing.
        webhooks.is_wanted(webhooks.SIGNATURE_CONFIRMED, _CAMPAIGNS.organization_id).label("is_watched"),
    )
    .join_from(Campaign.__table__, Signature.__table__, _SIGNATURES.campaign_id == _CAMPAIGNS.id)
    .where(_SIGNATURES.id == bindparam("signature_id"))
)


def confirm(signature_id: int) -> Confirmation | None:
    """Validate a pending signature; confirming again changes nothing. None if there is no such signature."""
    now = clock.now()
    result = db.session.execute(_CONFIRM, {"signature_id": signature_id, "now": now})
    campaign = db.session.execute(_CONFIRMED, {"signature_id": signature_id}).one_or_none()
    if campaign is None:
        return None
    is_new = bool(getattr(result, "rowcount", 0))
    if is_new:
        dispatch.defer(db.session(), FOLD_TASK)
        if campaign.is_watched:
            webhooks.emit(webhooks.SIGNATURE_CONFIRMED, [signature_id], now)
        if campaign.kind == CampaignKind.LETTER and takes_signatures(
            campaign.status, campaign.opens_at, campaign.closes_at, now
        ):
            # Letters to officials are owed in the same transaction as the confirmation.
            targets.write_letters(signature_id, now)
    return Confirmation(
        campaign.slug, is_new, campaign.id, campaign.signature_status == SignatureStatus.VALIDATED
    )


def invalidate(signature_id: int) -> bool:
    """Invalidate a signature (fraud, staff decision); the next fold subtracts it if counted."""
    result = db.session.execute(
        update(Signature)
        .where(Signature.id == signature_id, Signature.status != SignatureStatus.INVALIDATED)
        .values(status=SignatureStatus.INVALIDATED, invalidated_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0):
        dispatch.defer(db.session(), FOLD_TASK)
        return True
    return False
