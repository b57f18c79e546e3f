"""The emails to a signer about their signature, written by the worker from the sealed signature."""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from campaign.campaigns.models import Campaign
from campaign.campaigns.translations import CampaignInLanguage, in_language
from campaign.extensions import db
from campaign.i18n import link_values
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature, SignatureStatus
from campaign.signing.tokens import confirmation_token

CONFIRMATION_KIND = "confirmation"
ALREADY_SIGNED_KIND = "already-signed"


def owe_confirmation(signature_id: int, suffix: str, *, recipient_index: str) -> None:
    """Owe the email whose link confirms the signature (suffix: a repeat's or a renewal's bucket).

    Like all mail someone can make us send to an address, it is owed only
    while the address (its keyed hash, `recipient_index`) is under its bound.
    """
    mail.owe(
        kind=CONFIRMATION_KIND,
        dedupe_key=f"confirm:{signature_id}{suffix}",
        ref_id=signature_id,
        recipient_index=recipient_index,
    )


def owe_already_signed(signature_id: int, bucket: str, *, recipient_index: str) -> None:
    """Owe the note to someone who signed again: one per signature and bucket, under the address's bound."""
    mail.owe(
        kind=ALREADY_SIGNED_KIND,
        dedupe_key=f"already-signed:{signature_id}:{bucket}",
        ref_id=signature_id,
        recipient_index=recipient_index,
    )


def signer_address(signature: Signature) -> str:
    """A confirmed signer as an email recipient: 'Given <address>', the name trimmed."""
    personal = signature.personal
    return mail.address(personal.given_name, personal.email)


def _to_signer(
    row: OutboxMessage,
    status: SignatureStatus,
    subject: Callable[[CampaignInLanguage], str],
    template: str,
    **links: Callable[[Signature, CampaignInLanguage], str],
) -> mail.Composed | None:
    """A message to a signer about their signature, while it is still in the status it is about.

    Written in the language they signed in, its links opening the pages in
    it. The name they typed is shown only once the address has confirmed it:
    before that, anyone may have typed anything beside someone's address.
    """
    signature = db.session.get(Signature, row.ref_id)
    if signature is None or signature.status != status or signature.sealed is None:
        return None
    # The campaign's title as they read it: its translation into their language, else its own.
    campaign = in_language(db.session.get_one(Campaign, signature.campaign_id), signature.language)
    is_confirmed = status == SignatureStatus.VALIDATED
    personal = signature.personal
    with force_locale(signature.language):
        return mail.Composed(
            recipient=signer_address(signature) if is_confirmed else mail.address("", personal.email),
            subject=subject(campaign),
            body=render_template(
                template,
                campaign=campaign,
                given_name=mail.short_name(personal.given_name) if is_confirmed else None,
                my_url=_my_url(signature),
                **{name: link(signature, campaign) for name, link in links.items()},
            ),
        )


def _confirmation(row: OutboxMessage) -> mail.Composed | None:
    """The confirmation email, while the signature still waits for it."""
    return _to_signer(
        row,
        SignatureStatus.PENDING,
        lambda campaign: _("Please confirm your signature: %(title)s", title=campaign.title),
        "mail/confirmation.txt",
        confirm_url=lambda signature, _campaign: absolute_url(
            "signing.confirm", token=confirmation_token(signature.id), **link_values(signature.language)
        ),
    )


def _already_signed(row: OutboxMessage) -> mail.Composed | None:
    """The note to someone who signed again: written from the first signature, never from the repeat."""
    return _to_signer(
        row,
        SignatureStatus.VALIDATED,
        lambda campaign: _("You have already signed: %(title)s", title=campaign.title),
        "mail/already_signed.txt",
        campaign_url=lambda signature, campaign: absolute_url(
            "campaigns.show", slug=campaign.slug, **link_values(signature.language)
        ),
    )


def _my_url(signature: Signature) -> str | None:
    """The link to the signer's own page, carried by every email to them, in their language."""
    from campaign.signing.supporters import my_url

    return my_url(signature.person_id, signature.language)


mail.register_kind(CONFIRMATION_KIND, compose=_confirmation)
mail.register_kind(ALREADY_SIGNED_KIND, compose=_already_signed)
