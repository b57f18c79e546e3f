"""The emails to a signer about their signature, written by the worker from the sealed signature."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import g, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from campaign.campaigns.models import Campaign
from campaign.campaigns.translations import CampaignInLanguage, in_language
from campaign.extensions import db
from campaign.i18n import link_values
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.mail import suppressions
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Personal, Signature, SignatureStatus
from campaign.signing.tokens import confirmation_token

CONFIRMATION_KIND = "confirmation"
CONFIRM_REMINDER_KIND = "confirmation-reminder"  # its one reminder (campaign.signing.reminders)
ALREADY_SIGNED_KIND = "already-signed"


def owe_confirmation(
    signature_id: int, suffix: str, *, recipient_index: str, is_recipient_locked: bool = False
) -> None:
    """Owe the email whose link confirms the signature (suffix: a repeat's or a renewal's bucket).

    Like all mail someone can make us send to an address, it is owed only
    while the address (its keyed hash, `recipient_index`) is under its bound;
    `is_recipient_locked` as mail.owe has it.
    """
    mail.owe(
        kind=CONFIRMATION_KIND,
        dedupe_key=f"confirm:{signature_id}{suffix}",
        ref_id=signature_id,
        recipient_index=recipient_index,
        is_recipient_locked=is_recipient_locked,
    )


def owe_already_signed(
    signature_id: int, bucket: str, *, recipient_index: str, is_recipient_locked: bool = False
) -> None:
    """Owe the note to someone who signed again: one per signature and bucket, under the address's bound."""
    mail.owe(
        kind=ALREADY_SIGNED_KIND,
        dedupe_key=f"already-signed:{signature_id}:{bucket}",
        ref_id=signature_id,
        recipient_index=recipient_index,
        is_recipient_locked=is_recipient_locked,
    )


# What each kind of email to a signer is about (the status it is written in) and its template.
_SIGNER_MAIL = {
    CONFIRMATION_KIND: (SignatureStatus.PENDING, "mail/confirmation.txt"),
    CONFIRM_REMINDER_KIND: (SignatureStatus.PENDING, "mail/confirmation_reminder.txt"),
    ALREADY_SIGNED_KIND: (SignatureStatus.VALIDATED, "mail/already_signed.txt"),
}


@dataclass(frozen=True)
class _CampaignRow:
    """The campaign's columns a signer's email quotes (campaigns.translations.CampaignWords)."""

    id: int
    slug: str
    title: str
    summary: str
    language: str
    updated_at: datetime


@dataclass(frozen=True)
class _Signer:
    """The signature's columns a signer's email is written from."""

    id: int
    status: SignatureStatus
    sealed: bytes | None
    language: str
    person_id: int | None


# The signature and its campaign in one read of the columns the email needs, built once, of the
# tables rather than the entities (no ORM step): loading both as whole entities was a fifth of
# the worker's time per message.
_SIGNATURE = Signature.__table__.c
_CAMPAIGN = Campaign.__table__.c
_SIGNERS_AND_CAMPAIGNS = (
    select(
        _SIGNATURE.id,
        _SIGNATURE.status,
        _SIGNATURE.sealed,
        _SIGNATURE.language,
        _SIGNATURE.person_id,
        _CAMPAIGN.id,
        _CAMPAIGN.slug,
        _CAMPAIGN.title,
        _CAMPAIGN.summary,
        _CAMPAIGN.language,
        _CAMPAIGN.updated_at,
    )
    .join_from(Signature.__table__, Campaign.__table__, _CAMPAIGN.id == _SIGNATURE.campaign_id)
    .where(_SIGNATURE.id.in_(bindparam("signature_ids", expanding=True)))
)
# What _read_ahead read, by outbox row, in the app context of the pump sending them.
_READ = "signing_mail_read"


def _read_ahead(rows: Sequence[OutboxMessage]) -> None:
    """Read the signatures and campaigns of a batch of signers' messages at once (mail's read_ahead)."""
    ids = sorted({row.ref_id for row in rows if row.ref_id is not None})
    if not ids:
        return
    found = {
        int(one[0]): tuple(one) for one in db.session.execute(_SIGNERS_AND_CAMPAIGNS, {"signature_ids": ids})
    }
    read: dict[int, tuple[Any, ...] | None] = g.setdefault(_READ, {})
    read.update({row.id: found.get(row.ref_id) for row in rows if row.ref_id is not None})


def _signer_and_campaign(row: OutboxMessage) -> tuple[Any, ...] | None:
    """The columns of the row's signature and its campaign: as read ahead for its batch, else now."""
    read: dict[int, tuple[Any, ...] | None] = g.get(_READ, {})
    if row.id in read:
        return read.pop(row.id)
    found = db.session.execute(_SIGNERS_AND_CAMPAIGNS, {"signature_ids": [row.ref_id]}).one_or_none()
    return None if found is None else tuple(found)


def _to_signer(row: OutboxMessage) -> mail.Composed | None:
    """A message to a signer about their signature, while it is still in the status it is about.

    The confirmation waits for a pending signature; the note to someone who
    signed again is written from the first signature, never from the repeat.
    Written in the language they signed in, its links opening the pages in
    it. The name they typed is shown only once the address has confirmed it:
    before that, anyone may have typed anything beside someone's address.
    """
    status, template = _SIGNER_MAIL[row.kind]
    found = _signer_and_campaign(row)
    if found is None:
        return None
    signature, words = _Signer(*found[:5]), _CampaignRow(*found[5:])
    if signature.status != status or signature.sealed is None:
        return None
    # The campaign's title as they read it: its translation into their language, else its own.
    campaign = in_language(words, signature.language)
    is_confirmed = status == SignatureStatus.VALIDATED
    personal = Personal.opened(signature.sealed)
    # Someone else may have typed the address: one click stops all mail to it (RFC 8058).
    stop_url = suppressions.stop_url(row.recipient_index, signature.language)
    with force_locale(signature.language):
        return mail.Composed(
            recipient=mail.address(personal.given_name if is_confirmed else "", personal.email),
            subject=_subject(row.kind, campaign),
            body=render_template(
                template,
                campaign=campaign,
                given_name=mail.short_name(personal.given_name) if is_confirmed else None,
                my_url=_my_url(signature),
                stop_url=stop_url,
                **_links(row.kind, signature, campaign),
            ),
            list_unsubscribe=stop_url,
        )


def _subject(kind: str, campaign: CampaignInLanguage) -> str:
    """The subject of a signer's email of this kind, in the locale in force."""
    if kind == CONFIRMATION_KIND:
        return _("Please confirm your signature: %(title)s", title=campaign.title)
    if kind == CONFIRM_REMINDER_KIND:
        return _("Reminder: please confirm your signature: %(title)s", title=campaign.title)
    return _("You have already signed: %(title)s", title=campaign.title)


def _links(kind: str, signature: _Signer, campaign: CampaignInLanguage) -> dict[str, str]:
    """The links of a signer's email of this kind, opening the pages in their language."""
    language = link_values(signature.language)
    if kind in (CONFIRMATION_KIND, CONFIRM_REMINDER_KIND):
        token = confirmation_token(signature.id)
        return {"confirm_url": absolute_url("signing.confirm", token=token, **language)}
    return {"campaign_url": absolute_url("campaigns.show", slug=campaign.slug, **language)}


def _my_url(signature: _Signer) -> str | None:
    """The link to the signer's own page, carried by every email to them, in their language."""
    from campaign.signing.supporters import my_url

    return my_url(signature.person_id, signature.language)


mail.register_kind(CONFIRMATION_KIND, compose=_to_signer, read_ahead=_read_ahead)
mail.register_kind(CONFIRM_REMINDER_KIND, compose=_to_signer, read_ahead=_read_ahead)
mail.register_kind(ALREADY_SIGNED_KIND, compose=_to_signer, read_ahead=_read_ahead)
