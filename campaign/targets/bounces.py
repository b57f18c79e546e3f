"""Bounces: an official's address that refuses mail for good (in the SMTP session, or in a bounce that
arrives later: campaign.mail.bounces) is marked bad, and the organizer told; what bounced, counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from flask_babel import gettext
from sqlalchemy import func, select, update

from campaign import clock
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.mail.models import MailSuppression, OutboxMessage, SuppressionReason
from campaign.signing.models import Person, Signature
from campaign.targets.models import Letter, Official

BOUNCE_NOTICE_KIND = "letter-bounce"
BAD_ADDRESS = "not sent: the official's address refused mail permanently"


def record_bounce(row: OutboxMessage) -> None:
    """A letter was refused for good: mark the address bad, stop what is owed to it, tell the organizer."""
    now = clock.now()
    bounced = db.session.execute(select(Letter).where(Letter.outbox_id == row.id)).scalars().all()
    for letter in bounced:
        letter.bounced_at = now
    for official_id in sorted({letter.official_id for letter in bounced}):
        official = mark_address_bad(official_id, now)
        for campaign_id in sorted(
            {letter.campaign_id for letter in bounced if letter.official_id == official_id}
        ):
            _notify_contact(db.session.get_one(Campaign, campaign_id), official, now)


def mark_address_bad(official_id: int, now: datetime | None = None) -> Official:
    """Mark an official's address (and every official sharing it) bad; fail the letters still owed to it."""
    now = now or clock.now()
    official = db.session.get_one(Official, official_id)
    sharing = select(Official.id).where(Official.email == official.email)
    db.session.execute(
        update(Official)
        .where(Official.id.in_(sharing), Official.is_email_bad.is_(False))
        .values(is_email_bad=True, bad_since=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    owed = select(Letter.outbox_id).where(Letter.official_id.in_(sharing), Letter.outbox_id.is_not(None))
    mail.cancel(owed, BAD_ADDRESS)
    db.session.refresh(official)
    return official


def _notify_contact(campaign: Campaign, official: Official, now: datetime) -> None:
    """Tell the campaign's contact, once per bad address, that an official's address refuses mail."""
    if not campaign.contact_email:
        return
    since = (official.bad_since or now).strftime("%Y%m%d%H%M%S")
    mail.write(
        kind=BOUNCE_NOTICE_KIND,
        dedupe_key=f"letter-bounce:{campaign.id}:{official.id}:{since}",
        recipient=campaign.contact_email,
        subject=gettext(
            "Letters to %(name)s cannot be delivered: %(title)s", name=official.name, title=campaign.title
        ),
        body=render_template("targets/mail/bounce_notice.txt", campaign=campaign, official=official),
        now=now,
        # The contact is any address a member typed: bounded like all mail we are made to send.
        recipient_index=mail.recipient_index(campaign.contact_email),
    )


@dataclass(frozen=True)
class Bounced:
    """What bounced on a campaign: letters to officials, and the addresses its signers gave."""

    letters: int
    signers: int


def bounced_in(campaign_id: int) -> Bounced:
    """How many of the campaign's letters bounced, and how many of its signers' addresses bounced for good."""
    letters = select(func.count()).where(Letter.campaign_id == campaign_id, Letter.bounced_at.is_not(None))
    dead = select(MailSuppression.recipient_index).where(
        MailSuppression.reason == SuppressionReason.HARD_BOUNCE
    )
    signers = (
        select(func.count())
        .select_from(Signature)
        .join(Person, Person.id == Signature.person_id)
        .where(Signature.campaign_id == campaign_id, Person.email_index.in_(dead))
    )
    return Bounced(
        int(db.session.execute(letters).scalar_one()), int(db.session.execute(signers).scalar_one())
    )
