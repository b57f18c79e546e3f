"""Signing and confirming: the work behind the sign form and the confirmation link."""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select, text, update

from campaign import clock, dispatch
from campaign.campaigns.models import Campaign, CampaignKind, CampaignStatus, takes_signatures
from campaign.campaigns.service import CampaignView
from campaign.counts.service import FOLD_TASK
from campaign.database import insert
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.signing.emails import canonical_email
from campaign.signing.models import Person, Signature, SignatureStatus
from campaign.signing.tokens import confirmation_token
from campaign.targets import service as targets


class SignOutcome(enum.StrEnum):
    """What a sign request came to. Never shown to the person who sent it."""

    NEW = "new"
    REPEAT_PENDING = "repeat-pending"
    REPEAT_SIGNED = "repeat-signed"


@dataclass(frozen=True)
class SignatureRequest:
    """What a supporter submitted, already validated by the form."""

    given_name: str
    family_name: str
    email: str
    country: str
    postal_code: str = ""
    region: str | None = None
    comment: str | None = None
    is_comment_public: bool = False
    message: str | None = None
    has_email_opt_in: bool = False
    # Letter campaigns: the officials may reply to the signer's address.
    has_reply_to_opt_in: bool = False
    source: str | None = None
    client_address: str = ""


class CampaignClosed(Exception):
    """The campaign takes no signature now (closed, not yet open, or taken down)."""


# PostgreSQL does the sign request's work in one round trip: check that the
# campaign is open, find or create the person, insert the signature. The
# unique constraints still decide; a row another request is inserting at the
# same moment makes ON CONFLICT wait for it.
_SIGN = text("""
WITH open_campaign AS (
    SELECT id FROM campaigns
    WHERE id = :campaign_id AND status = 'open'
      AND (opens_at IS NULL OR opens_at <= :now) AND (closes_at IS NULL OR closes_at > :now)
), new_person AS (
    INSERT INTO people (email, canonical_email, created_at)
    SELECT :email, :canonical_email, :now FROM open_campaign
    ON CONFLICT (canonical_email) DO NOTHING
    RETURNING id
), person AS (
    SELECT id FROM new_person
    UNION ALL
    SELECT people.id FROM people, open_campaign WHERE people.canonical_email = :canonical_email
    LIMIT 1
), new_signature AS (
    INSERT INTO signatures (
        campaign_id, person_id, status, given_name, family_name, country, postal_code, region,
        comment, is_comment_public, message, has_email_opt_in, consent_version, source,
        client_hash, is_counted, created_at)
    SELECT :campaign_id, person.id, 'pending', :given_name, :family_name, :country, :postal_code,
        :region, :comment, :is_comment_public, :message, :has_email_opt_in, :consent_version,
        :source, :client_hash, false, :now
    FROM person
    ON CONFLICT (campaign_id, person_id) DO NOTHING
    RETURNING id
)
SELECT (SELECT count(*) FROM open_campaign) AS is_open,
       (SELECT id FROM person) AS person_id,
       (SELECT id FROM new_signature) AS signature_id
""")


def sign(campaign: Campaign | CampaignView, request: SignatureRequest) -> SignOutcome:
    """Record a pending signature and owe its confirmation email; a repeat is told by email.

    Raises CampaignClosed when the campaign takes no signature at this moment.
    """
    now = clock.now()
    person_id, signature_id = _insert_person_and_signature(campaign, request, now)
    if signature_id is not None:
        if request.has_reply_to_opt_in:
            # Only a new signature records it: signing again with someone
            # else's address must not expose that address to officials.
            targets.record_reply_consent(signature_id)
        _queue_confirmation(campaign, signature_id, request.email, request.given_name, "")
        return SignOutcome.NEW
    existing = db.session.execute(
        select(Signature).where(Signature.campaign_id == campaign.id, Signature.person_id == person_id)
    ).scalar_one()
    # One repeat email per hour at most: signing again must not become a way
    # to flood someone's inbox.
    bucket = now.strftime("%Y%m%d%H")
    if existing.status == SignatureStatus.PENDING:
        _queue_confirmation(campaign, existing.id, request.email, request.given_name, f":{bucket}")
        return SignOutcome.REPEAT_PENDING
    mail.queue(
        kind="already-signed",
        dedupe_key=f"already-signed:{existing.id}:{bucket}",
        recipient=mail.address(request.given_name, request.email),
        subject=f"You have already signed: {campaign.title}",
        template="already_signed.txt",
        campaign=campaign,
        given_name=request.given_name,
        campaign_url=absolute_url("campaigns.show", slug=campaign.slug),
    )
    return SignOutcome.REPEAT_SIGNED


def _insert_person_and_signature(
    campaign: Campaign | CampaignView, request: SignatureRequest, now: datetime
) -> tuple[int, int | None]:
    """The person's id and the new signature's (None for a repeat); CampaignClosed if it is not open."""
    if db.session.get_bind().dialect.name == "postgresql":
        row = db.session.execute(_SIGN, _signature_values(campaign, request, now)).one()
        if not row.is_open:
            raise CampaignClosed
        if row.person_id is not None:
            return int(row.person_id), row.signature_id
        # The person was created by a request that committed after this
        # statement began, so it could not see them: a new statement can.
    elif not _is_open(campaign.id, now):
        raise CampaignClosed
    person_id = _person_id(request.email)
    return person_id, _insert_signature(campaign, person_id, request)


def _signature_values(
    campaign: Campaign | CampaignView, request: SignatureRequest, now: datetime
) -> dict[str, Any]:
    """The parameters of the one-statement sign."""
    return {
        "campaign_id": campaign.id,
        "now": now,
        "email": request.email,
        "canonical_email": canonical_email(request.email),
        "given_name": request.given_name,
        "family_name": request.family_name,
        "country": request.country,
        "postal_code": request.postal_code,
        "region": request.region,
        "comment": request.comment,
        "is_comment_public": request.is_comment_public and bool(request.comment),
        "message": request.message,
        "has_email_opt_in": request.has_email_opt_in,
        "consent_version": current_app.config["CONSENT_VERSION"],
        "source": request.source,
        "client_hash": client_hash(request.client_address),
    }


def _is_open(campaign_id: int, now: datetime) -> bool:
    """Read afresh whether the campaign takes signatures now."""
    row = db.session.execute(
        select(Campaign.status, Campaign.opens_at, Campaign.closes_at).where(Campaign.id == campaign_id)
    ).one_or_none()
    return row is not None and takes_signatures(row.status, row.opens_at, row.closes_at, now)


def _person_id(email: str) -> int:
    """Find or create the person with this address, safely under concurrent requests."""
    canonical = canonical_email(email)
    inserted = db.session.execute(
        insert(Person)
        .values(email=email, canonical_email=canonical, created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["canonical_email"])
        .returning(Person.id)
    ).scalar()
    if inserted is not None:
        return int(inserted)
    return db.session.execute(select(Person.id).where(Person.canonical_email == canonical)).scalar_one()


def _insert_signature(
    campaign: Campaign | CampaignView, person_id: int, request: SignatureRequest
) -> int | None:
    """Insert the pending signature; None when this person has signed already."""
    statement = (
        insert(Signature)
        .values(
            campaign_id=campaign.id,
            person_id=person_id,
            status=SignatureStatus.PENDING,
            given_name=request.given_name,
            family_name=request.family_name,
            country=request.country,
            postal_code=request.postal_code,
            region=request.region,
            comment=request.comment,
            is_comment_public=request.is_comment_public and bool(request.comment),
            message=request.message,
            has_email_opt_in=request.has_email_opt_in,
            consent_version=current_app.config["CONSENT_VERSION"],
            source=request.source,
            client_hash=client_hash(request.client_address),
            is_counted=False,
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "person_id"])
        .returning(Signature.id)
    )
    inserted = db.session.execute(statement).scalar()
    return None if inserted is None else int(inserted)


def _queue_confirmation(
    campaign: Campaign | CampaignView, signature_id: int, email: str, given_name: str, suffix: str
) -> None:
    """Owe the email whose link confirms the signature."""
    mail.queue(
        kind="confirmation",
        dedupe_key=f"confirm:{signature_id}{suffix}",
        recipient=mail.address(given_name, email),
        subject=f"Please confirm your signature: {campaign.title}",
        template="confirmation.txt",
        campaign=campaign,
        given_name=given_name,
        confirm_url=absolute_url("signing.confirm", token=confirmation_token(signature_id)),
    )


def resend_confirmation(signature_id: int) -> bool:
    """Send a fresh link to a pending signature whose link expired; tell whether one was owed."""
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.status != SignatureStatus.PENDING:
        return False
    bucket = clock.now().strftime("%Y%m%d%H")
    _queue_confirmation(
        signature.campaign,
        signature.id,
        signature.person.email,
        signature.given_name,
        f":renew:{bucket}",
    )
    return True


def signature_or_none(signature_id: int | None) -> Signature | None:
    """The signature with this id, if there is one."""
    return None if signature_id is None else db.session.get(Signature, signature_id)


@dataclass(frozen=True)
class Confirmation:
    """What confirming a signature came to: where its campaign is, and whether it counts from now."""

    campaign_slug: str
    is_new: bool


def confirm(signature_id: int) -> Confirmation | None:
    """Validate a pending signature; confirming again changes nothing. None if there is no such signature."""
    now = clock.now()
    # A signature given while the campaign was open counts once confirmed, even
    # after it closed; a campaign taken down (or back in review) takes none.
    public = select(Campaign.id).where(
        Campaign.id == Signature.campaign_id,
        Campaign.status.in_([CampaignStatus.OPEN, CampaignStatus.CLOSED]),
    )
    result = db.session.execute(
        update(Signature)
        .where(Signature.id == signature_id, Signature.status == SignatureStatus.PENDING, public.exists())
        .values(status=SignatureStatus.VALIDATED, validated_at=now)
        .execution_options(synchronize_session=False)
    )
    campaign = db.session.execute(
        select(Campaign.slug, Campaign.kind, Campaign.status, Campaign.opens_at, Campaign.closes_at)
        .join(Signature, Signature.campaign_id == Campaign.id)
        .where(Signature.id == signature_id)
    ).one_or_none()
    if campaign is None:
        return None
    is_new = bool(getattr(result, "rowcount", 0))
    if is_new:
        dispatch.defer(db.session(), FOLD_TASK)
        if campaign.kind == CampaignKind.LETTER and takes_signatures(
            campaign.status, campaign.opens_at, campaign.closes_at, now
        ):
            # Letters to officials are owed in the same transaction as the confirmation.
            targets.write_letters(signature_id, now)
    return Confirmation(campaign.slug, is_new)


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


def client_hash(client_address: str) -> str:
    """A keyed hash of the client address: comparable between rows, not reversible without the key."""
    key = hashlib.sha256(b"client-address:" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, client_address.encode(), hashlib.sha256).hexdigest()
