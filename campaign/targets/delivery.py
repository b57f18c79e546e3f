"""What became of a campaign's letters: per official, how many are queued, held, sent, failed or
bounced; and, in OSDI's terms, each signer's outreach."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from campaign.extensions import db
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.targets import bounces
from campaign.targets.messages import write_letter
from campaign.targets.models import Letter, Official

DELIVERY_STATES = ("queued", "held", "sent", "failed", "bounced")


@dataclass
class OfficialDelivery:
    """How one official's letters of a campaign are doing."""

    official: Official
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, state: str) -> int:
        """How many letters are in this state: queued, held, sent, failed or bounced."""
        return self.counts.get(state, 0)


def delivery_status(campaign_id: int) -> list[OfficialDelivery]:
    """Per official, how many of the campaign's letters are queued, held, sent, failed or bounced."""
    letters = select(
        Letter.official_id,
        Letter.is_held,
        Letter.bounced_at.is_not(None).label("is_bounced"),
        mail.state_of(Letter.outbox_id).label("state"),
    ).where(Letter.campaign_id == campaign_id)
    each = letters.subquery()
    grouped = each.c.official_id, each.c.is_held, each.c.is_bounced, each.c.state
    rows = db.session.execute(select(*grouped, func.count()).group_by(*grouped)).all()
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for official_id, is_held, is_bounced, mail_state, number in rows:
        state = _state(bool(is_held), bool(is_bounced), mail_state)
        counts[official_id][state] = counts[official_id].get(state, 0) + int(number)
    officials = db.session.execute(
        select(Official).where(Official.id.in_(list(counts))).order_by(Official.name)
    ).scalars()
    return [OfficialDelivery(official, counts[official.id]) for official in officials]


def _state(is_held: bool, is_bounced: bool, mail_state: str | None) -> str:
    """The delivery state of one letter, as an organizer names it (its message's, once it has one)."""
    if is_bounced:
        return "bounced"
    if mail_state is None:
        return "held" if is_held else "queued"
    return mail_state


@dataclass(frozen=True)
class WrittenLetter:
    """One of a writer's letters as they see it on their own page: to whom, and what became of it."""

    official_name: str
    official_title: str
    # sent, waiting, bounced, paused (the address is paused: campaign.targets.bounces) or not_sent.
    state: str
    sent_at: datetime | None = None


def letters_of(signature_ids: list[int]) -> dict[int, list[WrittenLetter]]:
    """The letters each of these signatures wrote, by official's name. A letter held for review
    reads as waiting, as a held signature reads as unconfirmed: the rules are not told."""
    rows = db.session.execute(
        select(
            Letter.signature_id,
            Letter.bounced_at,
            Official.name,
            Official.title,
            OutboxMessage.status,
            OutboxMessage.sent_at,
            OutboxMessage.last_error,
        )
        .join(Official, Official.id == Letter.official_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == Letter.outbox_id)
        .where(Letter.signature_id.in_(signature_ids))
        .order_by(Letter.signature_id, Official.name, Letter.id)
    ).all()
    found: dict[int, list[WrittenLetter]] = defaultdict(list)
    for signature_id, bounced_at, name, title, status, sent_at, error in rows:
        if bounced_at is not None:
            state = "bounced"
        elif status == OutboxStatus.SENT:
            state = "sent"
        elif status == OutboxStatus.FAILED:
            state = "paused" if error in bounces.PAUSED else "not_sent"
        else:
            state = "waiting"
        found[signature_id].append(WrittenLetter(name, title, state, sent_at if state == "sent" else None))
    return dict(found)


@dataclass(frozen=True)
class Outreach:
    """One signer's letters in OSDI's terms: the subject, the message and the officials targeted."""

    signature_id: int
    subject: str
    message: str
    targets: list[Official]


def outreach_of(signature_id: int) -> Outreach | None:
    """The outreach a signature made (its first letter's text and every official), if it wrote any."""
    written = (
        db.session.execute(select(Letter).where(Letter.signature_id == signature_id).order_by(Letter.id))
        .scalars()
        .all()
    )
    if not written:
        return None
    first = write_letter(written[0])
    return Outreach(signature_id, first.subject, first.body, [letter.official for letter in written])


def total_outreaches(campaign_id: int) -> int:
    """How many signers wrote letters on a campaign (OSDI advocacy_campaign total_outreaches)."""
    return int(
        db.session.execute(
            select(func.count(func.distinct(Letter.signature_id))).where(Letter.campaign_id == campaign_id)
        ).scalar_one()
    )
