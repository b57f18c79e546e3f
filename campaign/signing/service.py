"""Signing: the work behind the sign form, from the request to the mail it owes.

The statement that stores a signature is campaign/signing/store.py; what
follows the confirmation link is campaign/signing/confirmation.py.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import update

from campaign import clock
from campaign.campaigns import comments
from campaign.campaigns.models import Campaign
from campaign.campaigns.service import CampaignView
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.partners import consents as partner_consents
from campaign.privacy import vault
from campaign.proxies import client_hash
from campaign.signing import fill_time, floods, messages, proof_of_work
from campaign.signing.emails import canonical_email
from campaign.signing.models import SEALED_PURPOSE, Personal, Signature, SignatureStatus
from campaign.signing.store import Stored, store_signature
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
    # The partner organizations whose box was ticked (field `partners`, campaign/partners/consents.py):
    # ids as posted, kept only where they are the campaign's partners.
    partner_ids: tuple[int, ...] = ()


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
    stored = store_signature(values)
    if stored is None:
        raise CampaignClosed
    outcome = _follow_up(campaign, request, marks, proof, stored, values["email_index"], now)
    return Signed(outcome, stored.signature_id, stored.person_id)


def _follow_up(
    campaign: Campaign | CampaignView,
    request: SignatureRequest,
    marks: floods.Marks,
    proof: str,
    stored: Stored,
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
        if request.partner_ids:
            # Only a new signature records them, in the same transaction (one INSERT).
            partner_consents.record(stored.signature_id, campaign, request.partner_ids, request.language)
        targets.remember_words(stored.signature_id, campaign.id, request.message)
        if request.is_comment_public and request.comment:
            # Only what they agreed to publish, in clear: shown once the signature is validated.
            comments.keep(
                stored.signature_id, campaign.id, request.given_name, request.country, request.comment
            )
        messages.owe_confirmation(
            stored.signature_id, "", recipient_index=recipient, is_recipient_locked=stored.holds_mail_lock
        )
        if stored.is_watched:
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
    locked = stored.holds_mail_lock
    if stored.earlier_status == SignatureStatus.PENDING:
        messages.owe_confirmation(
            stored.signature_id, f":{bucket}", recipient_index=recipient, is_recipient_locked=locked
        )
        return SignOutcome.REPEAT_PENDING
    messages.owe_already_signed(
        stored.signature_id, bucket, recipient_index=recipient, is_recipient_locked=locked
    )
    return SignOutcome.REPEAT_SIGNED


def _mark_fraudulent(signature_id: int, rule: str) -> None:
    """Store a new signature as fraudulent, naming the rule it is over: it never counts."""
    db.session.execute(
        update(Signature)
        .where(Signature.id == signature_id)
        .values(status=SignatureStatus.FRAUDULENT, flood_rule=rule)
        .execution_options(synchronize_session=False)
    )


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
    index = email_index(request.email)
    return {
        "campaign_id": campaign.id,
        "now": now,
        "email_index": index,
        # The store statement takes the lock that bounds the mail to this address.
        **mail.recipient_lock_values(index),
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


def challenge_for(client_address: str) -> dict[str, Any] | None:
    """A proof-of-work challenge for a client an address or range rule fires for now; None for others."""
    if not floods.needs_proof(client_hash(client_address), client_address):
        return None
    return proof_of_work.new_challenge()
