"""An update as mail: each signer's copy, written from the sealed signature when it is sent."""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select

from campaign.accounts.models import Organization
from campaign.campaigns.models import Campaign
from campaign.campaigns.translations import CampaignInLanguage, in_language
from campaign.extensions import db
from campaign.i18n import link_values
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature, SignatureStatus
from campaign.signing.supporters import my_url
from campaign.updates import links
from campaign.updates.models import Update, UpdateMessage
from campaign.updates.tokens import unsubscribe_token

UPDATE_KIND = "update"


def sender_name(campaign: Campaign | CampaignInLanguage) -> str | None:
    """The From display name of the campaign's updates: its organization's name."""
    if campaign.organization_id is None:
        return None
    organization = db.session.get(Organization, campaign.organization_id)
    return organization.name if organization else None


def _compose_update(row: OutboxMessage) -> mail.Composed | None:
    """One signer's copy of an update, written from the sealed signature; not sent once they opted out."""
    carrier = db.session.execute(
        select(UpdateMessage).where(UpdateMessage.outbox_id == row.id)
    ).scalar_one_or_none()
    signature = db.session.get(Signature, row.ref_id)
    if (
        carrier is None
        or signature is None
        or signature.sealed is None
        or signature.status != SignatureStatus.VALIDATED
        or not signature.has_email_opt_in
        or signature.person is None
    ):
        return None
    sending = db.session.get_one(Update, carrier.update_id)
    language = signature.language
    # The campaign's title as the signer read it: its translation into their language, else its own.
    campaign = in_language(db.session.get_one(Campaign, sending.campaign_id), language)
    sender = sender_name(campaign)
    personal = signature.personal
    token = unsubscribe_token(campaign.id, carrier.person_id)
    link = absolute_url("updates.unsubscribe", token=token, **link_values(language))
    # The organizer's words stay as written; the letter around them is in the signer's language.
    with force_locale(language):
        return mail.Composed(
            recipient=mail.address(personal.name, personal.email),
            subject=sending.subject,
            body=email_body(
                sending,
                campaign,
                sender,
                personal.given_name,
                link,
                my_url(signature.person_id, language),
                language=language,
            ),
            sender_name=sender,
            list_unsubscribe=link,
        )


def email_body(
    sending: Update,
    campaign: Campaign | CampaignInLanguage,
    sender: str | None,
    given_name: str,
    link: str,
    my_link: str | None = None,
    *,
    language: str | None = None,
) -> str:
    """The plain-text email of an update to one signer (every link written out with its host)."""
    return render_template(
        "mail/update.txt",
        update=sending,
        body=links.mail_text(sending.body_markdown),
        campaign=campaign,
        sender=sender or campaign.title,
        given_name=given_name,
        unsubscribe_url=link,
        my_url=my_link,
        campaign_url=absolute_url("campaigns.show", slug=campaign.slug, **link_values(language)),
    )


mail.register_kind(UPDATE_KIND, compose=_compose_update)
