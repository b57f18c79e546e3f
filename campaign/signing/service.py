"""Signing and confirming: the work behind the sign form and the confirmation link."""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import DateTime, LargeBinary, bindparam, literal_column, select, text, update

from campaign import clock, dispatch
from campaign.campaigns import comments
from campaign.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    takes_signatures,
    takes_signatures_sql,
)
from campaign.campaigns.service import CampaignView
from campaign.counts.service import FOLD_TASK
from campaign.database import insert
from campaign.extensions import db
from campaign.privacy import vault
from campaign.signing import fill_time, floods, messages
from campaign.signing.emails import canonical_email
from campaign.signing.models import SEALED_PURPOSE, Person, Personal, Signature, SignatureStatus
from campaign.targets import service as targets
from campaign.webhooks import events as webhooks


class SignOutcome(enum.StrEnum):
    """What a sign request came to. Never shown to the person who sent it."""

    NEW = "new"
    REPEAT_PENDING = "repeat-pending"
    REPEAT_SIGNED = "repeat-signed"
    # Over a flood rule: stored as fraudulent (new) or left as it was (repeat), no email either way.
    FRAUDULENT = "fraudulent"
    REPEAT_HELD = "repeat-held"


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
    # The language the supporter signed in: their mail is written in it (campaign/i18n.py).
    language: str = "en"
    # The form came back faster than people fill it in (campaign/signing/fill_time.py): flagged, not refused.
    is_too_fast: bool = False


class CampaignClosed(Exception):
    """The campaign takes no signature now (closed, not yet open, or taken down)."""


@dataclass(frozen=True)
class Signed:
    """What a sign request came to, for the caller's own records: never shown to whoever sent it."""

    outcome: SignOutcome
    signature_id: int
    person_id: int

    @property
    def is_new(self) -> bool:
        """Tell whether this request stored a new signature (fraudulent ones included)."""
        return self.outcome in (SignOutcome.NEW, SignOutcome.FRAUDULENT)


# The columns a sign request writes besides person, status, counting and time, spelled once:
# the one-statement sign and the single insert below are both made from them, and
# `_signature_values` gives every one of them its value.
_SIGNATURE_COLUMNS = (
    "campaign_id",
    "sealed",
    "masked_name",
    "message_hash",
    "country",
    "region",
    "is_comment_public",
    "has_email_opt_in",
    "consent_version",
    "source",
    "client_hash",
    "client_range_hash",
    "email_domain_index",
    "client_range_sealed",
    "flood_rule",
    "language",
)
_INSERT_COLUMNS = "person_id, status, is_counted, created_at, " + ", ".join(_SIGNATURE_COLUMNS)
_INSERT_VALUES = "'pending', false, :now, " + ", ".join(f":{name}" for name in _SIGNATURE_COLUMNS)
# Typed, so that SQLite stores them as the ORM does (PostgreSQL would take them as they are).
_TYPED = (bindparam("now", type_=DateTime()), bindparam("sealed", type_=LargeBinary()))
# "The campaign takes signatures at :now", the same expression as every query of open campaigns.
_OPEN = str(takes_signatures_sql(literal_column(":now")).compile(compile_kwargs={"literal_binds": True}))

# PostgreSQL does the sign request's work in one round trip: check that the
# campaign is open, find or create the person, insert the signature, and read
# the person's earlier signature if there was one (as it was when the statement
# began). The unique constraints still decide; a row another request is
# inserting at the same moment makes ON CONFLICT wait for it.
_SIGN = text(f"""
WITH open_campaign AS (
    SELECT id FROM campaigns WHERE campaigns.id = :campaign_id AND {_OPEN}
), new_person AS (
    INSERT INTO people (email_index, created_at)
    SELECT :email_index, :now FROM open_campaign
    ON CONFLICT (email_index) DO NOTHING
    RETURNING id
), person AS (
    SELECT id FROM new_person
    UNION ALL
    SELECT people.id FROM people, open_campaign WHERE people.email_index = :email_index
    LIMIT 1
), earlier AS (
    SELECT signatures.id, signatures.status FROM signatures, person
    WHERE signatures.campaign_id = :campaign_id AND signatures.person_id = person.id
), new_signature AS (
    INSERT INTO signatures ({_INSERT_COLUMNS})
    SELECT person.id, {_INSERT_VALUES} FROM person
    ON CONFLICT (campaign_id, person_id) DO NOTHING
    RETURNING id
)
SELECT (SELECT count(*) FROM open_campaign) AS is_open,
       (SELECT id FROM person) AS person_id,
       (SELECT id FROM new_signature) AS signature_id,
       (SELECT id FROM earlier) AS earlier_id,
       (SELECT status FROM earlier) AS earlier_status
""").bindparams(*_TYPED)  # noqa: S608 - made of this module's constants, no input
# The same insert alone, for SQLite (no INSERT inside WITH) and for a person created meanwhile.
_INSERT_SIGNATURE = text(f"""
INSERT INTO signatures ({_INSERT_COLUMNS})
VALUES (:person_id, {_INSERT_VALUES})
ON CONFLICT (campaign_id, person_id) DO NOTHING
RETURNING id
""").bindparams(*_TYPED)  # noqa: S608 - made of this module's constants, no input


@dataclass(frozen=True)
class _Stored:
    """What the insert came to: the person, and the new signature or the earlier one with its status."""

    person_id: int
    signature_id: int
    is_new: bool
    earlier_status: SignatureStatus | None = None


def sign(campaign: Campaign | CampaignView, request: SignatureRequest, proof: str = "") -> Signed:
    """Record a pending signature and owe its confirmation email; a repeat is told by email.

    Over a flood rule (campaign.signing.floods) a new signature is stored as
    fraudulent and nobody is mailed; `proof` is the ALTCHA solution the form
    carried, if any. Raises CampaignClosed when the campaign takes no
    signature at this moment.
    """
    now = clock.now()
    marks = floods.marks_for(client_hash(request.client_address), request.client_address, request.email)
    values = _signature_values(campaign, request, marks, now)
    stored = _store(values)
    outcome = _follow_up(campaign, request, marks, proof, stored, values["email_index"], now)
    return Signed(outcome, stored.signature_id, stored.person_id)


def _follow_up(
    campaign: Campaign | CampaignView,
    request: SignatureRequest,
    marks: floods.Marks,
    proof: str,
    stored: _Stored,
    recipient: str,
    now: datetime,
) -> SignOutcome:
    """Judge a stored signature against the flood rules and owe what it calls for.

    All mail to this address (`recipient`, its index), from every campaign and
    of every kind, is bounded by it.
    """
    if stored.is_new:
        # Judged once stored, so that only new signatures use up a rule's allowance
        # (a repeat cannot add to the count); the usual path stays one statement.
        rule = floods.judge(campaign.id, marks, proof)
        if rule is not None:
            _mark_fraudulent(stored.signature_id, rule)
            return SignOutcome.FRAUDULENT
        if request.has_reply_to_opt_in:
            # Only a new signature records it: signing again with someone
            # else's address must not expose that address to officials.
            targets.record_reply_consent(stored.signature_id)
        targets.remember_words(stored.signature_id, campaign.id, request.message)
        if request.is_comment_public and request.comment:
            # Only what they agreed to publish, in clear: shown once the signature is validated.
            comments.keep(
                stored.signature_id, campaign.id, request.given_name, request.country, request.comment
            )
        messages.owe_confirmation(stored.signature_id, "", recipient_index=recipient)
        webhooks.emit(webhooks.SIGNATURE_ADDED, [stored.signature_id], now)
        return SignOutcome.NEW
    if stored.earlier_status == SignatureStatus.FRAUDULENT or floods.judge(
        campaign.id, marks, proof, is_new=False
    ):
        # A signature stored as fraudulent, or a repeat over a rule now: nobody is mailed.
        return SignOutcome.REPEAT_HELD
    # One repeat email per hour at most: signing again must not become a way
    # to flood someone's inbox. It is written from what the first signature
    # holds, never from what this request says.
    bucket = now.strftime("%Y%m%d%H")
    if stored.earlier_status == SignatureStatus.PENDING:
        messages.owe_confirmation(stored.signature_id, f":{bucket}", recipient_index=recipient)
        return SignOutcome.REPEAT_PENDING
    messages.owe_already_signed(stored.signature_id, bucket, recipient_index=recipient)
    return SignOutcome.REPEAT_SIGNED


def _mark_fraudulent(signature_id: int, rule: str) -> None:
    """Store a new signature as fraudulent, naming the rule it is over: it never counts."""
    db.session.execute(
        update(Signature)
        .where(Signature.id == signature_id)
        .values(status=SignatureStatus.FRAUDULENT, flood_rule=rule)
        .execution_options(synchronize_session=False)
    )


def _store(values: dict[str, Any]) -> _Stored:
    """Insert the person (if new) and the pending signature, or find the earlier one; CampaignClosed
    if the campaign is not open."""
    if db.session.get_bind().dialect.name == "postgresql":
        row = db.session.execute(_SIGN, values).one()
        if not row.is_open:
            raise CampaignClosed
        if row.signature_id is not None:
            return _Stored(int(row.person_id), int(row.signature_id), is_new=True)
        if row.earlier_id is not None:
            earlier_status = SignatureStatus(row.earlier_status)
            return _Stored(int(row.person_id), int(row.earlier_id), False, earlier_status)
        # The person or their signature was stored by a request that committed
        # after this statement began, so it could not see them: new statements can.
    elif not _is_open(values["campaign_id"], values["now"]):
        raise CampaignClosed
    person_id = _person_id(values["email_index"], values["now"])
    inserted = db.session.execute(_INSERT_SIGNATURE, {**values, "person_id": person_id}).scalar()
    if inserted is not None:
        return _Stored(person_id, int(inserted), is_new=True)
    earlier = db.session.execute(
        select(Signature.id, Signature.status).where(
            Signature.campaign_id == values["campaign_id"], Signature.person_id == person_id
        )
    ).one()
    return _Stored(person_id, int(earlier.id), False, earlier.status)


def _signature_values(
    campaign: Campaign | CampaignView, request: SignatureRequest, marks: floods.Marks, now: datetime
) -> dict[str, Any]:
    """The parameters of the one-statement sign: personal data sealed, the rest as it is."""
    personal = Personal(
        email=request.email,
        given_name=request.given_name,
        family_name=request.family_name,
        postal_code=request.postal_code,
        comment=request.comment or "",
        message=request.message or "",
    )
    return {
        "campaign_id": campaign.id,
        "now": now,
        "email_index": email_index(request.email),
        "sealed": vault.seal(
            personal.sealed_values(), purpose=SEALED_PURPOSE, organization_id=campaign.organization_id
        ),
        "masked_name": masked_name(request.given_name, request.family_name),
        "message_hash": message_hash(request.message),
        "country": request.country,
        "region": request.region,
        "is_comment_public": request.is_comment_public and bool(request.comment),
        "has_email_opt_in": request.has_email_opt_in,
        "consent_version": current_app.config["CONSENT_VERSION"],
        "source": request.source,
        "client_hash": marks.address_key,
        "client_range_hash": marks.client_range_hash,
        "email_domain_index": marks.email_domain_index,
        "client_range_sealed": marks.client_range_sealed,
        "flood_rule": marks.flag or (fill_time.TOO_FAST_FLAG if request.is_too_fast else None),
        "language": request.language,
    }


def _is_open(campaign_id: int, now: datetime) -> bool:
    """Read afresh whether the campaign takes signatures now."""
    found = select(Campaign.id).where(Campaign.id == campaign_id, takes_signatures_sql(now))
    return db.session.execute(found).first() is not None


def _person_id(index: str, now: datetime) -> int:
    """Find or create the person with this address's index, safely under concurrent requests."""
    inserted = db.session.execute(
        insert(Person)
        .values(email_index=index, created_at=now)
        .on_conflict_do_nothing(index_elements=["email_index"])
        .returning(Person.id)
    ).scalar()
    if inserted is not None:
        return int(inserted)
    return db.session.execute(select(Person.id).where(Person.email_index == index)).scalar_one()


def resend_confirmation(signature_id: int) -> bool:
    """Send a fresh link to a pending signature whose link expired; tell whether one was owed."""
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.status != SignatureStatus.PENDING:
        return False
    if signature.person is None:
        return False  # erased: no address to write to
    index = signature.person.email_index
    messages.owe_confirmation(signature.id, f":renew:{clock.now():%Y%m%d%H}", recipient_index=index)
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
        webhooks.emit(webhooks.SIGNATURE_CONFIRMED, [signature_id], now)
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


def email_index(email: str) -> str:
    """The blind index that finds a person again by email, however they write it."""
    return vault.blind_index(canonical_email(email), purpose="email")


def masked_name(given_name: str, family_name: str) -> str:
    """Initials, for pages that must tell signatures apart without showing who signed."""
    initials = [f"{name.strip()[:1].upper()}." for name in (given_name, family_name) if name.strip()]
    return " ".join(initials)[:16]


def message_hash(message: str | None) -> str | None:
    """A keyed hash of a paragraph with case, punctuation and spacing removed: copies share it."""
    words = re.sub(r"[\W_]+", " ", (message or "").casefold()).split()
    return vault.blind_index(" ".join(words), purpose="message") if words else None


def client_hash(client_address: str) -> str:
    """A keyed hash of the client address: comparable between rows, not reversible without the key."""
    key = hashlib.sha256(b"client-address:" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, client_address.encode(), hashlib.sha256).hexdigest()


def challenge_for(client_address: str) -> dict[str, Any] | None:
    """A proof-of-work challenge for a client an address or range rule fires for now; None for others."""
    if not floods.needs_proof(client_hash(client_address), client_address):
        return None
    return floods.new_challenge()
