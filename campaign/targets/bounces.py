"""Bounces and complaints of officials: an address that refuses mail for good (in the SMTP session, or
in a bounce that arrives later: campaign.mail.bounces), or whose office reports our letters as spam,
gets no more letters until staff lift the pause, and the organizers are told; what bounced, counted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from flask_babel import gettext
from sqlalchemy import delete, func, select, update

from campaign import clock, i18n
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.mail.models import MailSuppression, OutboxMessage, OutboxStatus, SuppressionReason
from campaign.signing.models import Person, Signature
from campaign.targets.directory import InvalidOfficial
from campaign.targets.models import (
    AddressProblem,
    DeliveryMode,
    Letter,
    LetterCampaign,
    LetterSchedule,
    Official,
)

BOUNCE_NOTICE_KIND = "letter-bounce"
BAD_ADDRESS = "not sent: the official's address refused mail permanently"
COMPLAINED = "not sent: the official's office reported our letters as spam"
_NOT_SENT = {AddressProblem.REFUSED: BAD_ADDRESS, AddressProblem.COMPLAINT: COMPLAINED}
# Why the letters a pause stopped were not sent (campaign.targets.service.send_again finds them by it).
PAUSED = tuple(_NOT_SENT.values())
_NOTICES = {
    AddressProblem.REFUSED: "targets/mail/bounce_notice.txt",
    AddressProblem.COMPLAINT: "targets/mail/complaint_notice.txt",
}


def record_bounce(row: OutboxMessage) -> None:
    """A letter was refused for good: mark the address bad, stop what is owed to it, tell the organizers."""
    now = clock.now()
    bounced = _letters_of(row)
    for letter in bounced:
        letter.bounced_at = now
    _pause(bounced, AddressProblem.REFUSED, now)


def record_complaint(row: OutboxMessage) -> None:
    """An official's office reported a letter (or digest) as spam: no more letters to that address, for
    any campaign, until staff lift the pause; what is owed to it is stopped and the organizers told."""
    _pause(_letters_of(row), AddressProblem.COMPLAINT, clock.now())


def _letters_of(row: OutboxMessage) -> Sequence[Letter]:
    """The letters a message carried: one letter, or a digest's."""
    return db.session.execute(select(Letter).where(Letter.outbox_id == row.id)).scalars().all()


def _pause(carried: Sequence[Letter], problem: AddressProblem, now: datetime) -> None:
    """Pause the addresses of these letters' officials, and tell every campaign whose letters it stopped."""
    for official_id in sorted({letter.official_id for letter in carried}):
        official, stopped = pause_address(official_id, problem, now)
        told = {letter.campaign_id for letter in carried if letter.official_id == official_id} | stopped
        for campaign_id in sorted(told):
            _notify_contact(db.session.get_one(Campaign, campaign_id), official, now)


def pause_address(
    official_id: int, problem: AddressProblem = AddressProblem.REFUSED, now: datetime | None = None
) -> tuple[Official, set[int]]:
    """Send no more letters to an official's address (to every official sharing it), for this reason
    (the first one stays); fail the letters still owed to it. Return the official, and the campaigns
    whose letters to it were stopped or are waiting."""
    now = now or clock.now()
    official = db.session.get_one(Official, official_id)
    sharing = select(Official.id).where(Official.email == official.email)
    db.session.execute(
        update(Official)
        .where(Official.id.in_(sharing), ~Official.is_paused)
        .values(bad_since=now, address_problem=problem, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(official)
    owed = (
        select(Letter.outbox_id, Letter.campaign_id)
        .join(OutboxMessage, OutboxMessage.id == Letter.outbox_id)
        .where(Letter.official_id.in_(sharing), OutboxMessage.status == OutboxStatus.PENDING)
    )
    stopped = {int(campaign_id) for _, campaign_id in db.session.execute(owed)}
    mail.cancel(owed.with_only_columns(Letter.outbox_id), _NOT_SENT[official.address_problem or problem])
    # Letters waiting for a daily digest have no message yet: they wait on, for the first digest after
    # the pause is lifted, and their campaigns are told too.
    digest = select(Letter.campaign_id).where(
        Letter.official_id.in_(sharing), Letter.outbox_id.is_(None), Letter.is_held.is_(False)
    )
    stopped.update(int(campaign_id) for campaign_id in db.session.execute(digest.distinct()).scalars())
    return official, stopped


def _notify_contact(campaign: Campaign, official: Official, now: datetime) -> None:
    """Tell the campaign's contact, once per pause of an address, that letters to an official stopped."""
    if not campaign.contact_email:
        return
    with i18n.writing_in(campaign.language):
        _write_notice(campaign, official, now)


def _write_notice(campaign: Campaign, official: Official, now: datetime) -> None:
    """Owe the notice to the campaign's contact, in the current language."""
    problem, paused_at = official.address_problem, official.bad_since
    assert campaign.contact_email is not None and problem is not None and paused_at is not None
    since = paused_at.strftime("%Y%m%d%H%M%S")
    settings = db.session.get(LetterCampaign, campaign.id)
    # A digest campaign's letters were not stopped: they wait for the first digest after the pause.
    is_digest = settings is not None and settings.delivery == DeliveryMode.DIGEST
    if problem is AddressProblem.COMPLAINT:
        subject = gettext(
            "Letters to %(name)s are paused: their office reported them as spam (%(title)s)",
            name=official.name,
            title=campaign.title,
        )
    else:
        subject = gettext(
            "Letters to %(name)s cannot be delivered: %(title)s", name=official.name, title=campaign.title
        )
    mail.write(
        kind=BOUNCE_NOTICE_KIND,
        dedupe_key=f"letter-bounce:{campaign.id}:{official.id}:{since}",
        recipient=campaign.contact_email,
        subject=subject,
        body=render_template(_NOTICES[problem], campaign=campaign, official=official, is_digest=is_digest),
        now=now,
        # The contact is any address a member typed: bounded like all mail we are made to send.
        recipient_index=mail.recipient_index(campaign.contact_email),
    )


def paused() -> list[Official]:
    """The officials whose address gets no letters, longest paused first."""
    query = select(Official).where(Official.is_paused).order_by(Official.bad_since, Official.id)
    return list(db.session.execute(query).scalars())


def resume_address(email: str, new_email: str | None = None, now: datetime | None = None) -> list[Official]:
    """Let letters go to the officials at this address again (their pause lifted), at `new_email` if
    given; return them. The letters the pause stopped stay so (campaign.targets.service.send_again
    sends them, if staff ask)."""
    now = now or clock.now()
    found = db.session.execute(select(Official).where(Official.email == email)).scalars().all()
    if new_email and new_email != email:
        names = [official.name for official in found]
        taken = select(Official.name).where(Official.email == new_email, Official.name.in_(names))
        for name in db.session.execute(taken).scalars():
            raise InvalidOfficial(
                gettext("%(name)s is already in the directory at %(email)s.", name=name, email=new_email)
            )
    # Nothing is owed to a paused address: the slots its stopped letters held are free again. One
    # that was not paused keeps its pace: its owed letters go to the new address, slot by slot.
    was_paused = [official.id for official in found if official.is_paused]
    db.session.execute(delete(LetterSchedule).where(LetterSchedule.official_id.in_(was_paused)))
    for official in found:
        official.bad_since, official.address_problem = None, None
        official.email = new_email or official.email
        official.updated_at = now
    return list(found)


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
