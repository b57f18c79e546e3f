"""Signing and confirming: the work behind the sign form and the confirmation link."""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from campaign import clock, dispatch
from campaign.campaigns.models import Campaign
from campaign.campaigns.service import CampaignView
from campaign.database import insert
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.signing.emails import canonical_email
from campaign.signing.models import Person, Signature, SignatureStatus
from campaign.signing.tokens import confirmation_token
from campaign.targets import service as targets

FOLD_TASK = "counts.fold_signatures"


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


def sign(campaign: Campaign | CampaignView, request: SignatureRequest) -> SignOutcome:
    """Record a pending signature and owe its confirmation email; a repeat is told by email."""
    person_id = _person_id(request.email)
    signature_id = _insert_signature(campaign, person_id, request)
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
    bucket = clock.now().strftime("%Y%m%d%H")
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


def confirm(signature_id: int) -> Signature | None:
    """Validate a pending signature; confirming again changes nothing."""
    now = clock.now()
    result = db.session.execute(
        update(Signature)
        .where(Signature.id == signature_id, Signature.status == SignatureStatus.PENDING)
        .values(status=SignatureStatus.VALIDATED, validated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0):
        dispatch.defer(db.session(), FOLD_TASK)
        # Letters to officials are owed in the same transaction as the confirmation.
        targets.write_letters(signature_id, now)
    return db.session.get(Signature, signature_id)


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
