"""One reminder to a supporter who has not confirmed a signature a day after giving it.

A signature counts only once its address confirms it, and in a surge many
confirmations are left unopened (WriteToThem reminds once, too). The reminder
is also mail that someone else can make us send, by typing a victim's address
into our forms, so it is given only where that buys the harasser least:

- once per signature, never again (its outbox key is the mark);
- within the address's daily and hourly bound, like every confirmation: the
  most a victim receives a day does not change;
- only to a person with no other signature waiting: someone signing a victim
  up to many campaigns gets no reminder at all;
- never to an address that bounced for good or whose owner stopped our email;
- only while its campaign would still count it (open, or closed since).

Beat runs it hourly; the sign request pays nothing for it. A signature a run
missed for a day (a long outage) is left alone: a reminder then would be late.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, String, cast, literal, select
from sqlalchemy.orm import aliased

from campaign import clock
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.mail import suppressions
from campaign.mail.models import OutboxMessage
from campaign.signing.messages import CONFIRM_REMINDER_KIND
from campaign.signing.models import Person, Signature, SignatureStatus

BATCH = 200  # reminders owed, and committed, at a time
_LATE = timedelta(days=1)
_KEY = "confirm-reminder:"


def remind_unconfirmed(now: datetime | None = None) -> int:
    """Owe a reminder for each signature left unconfirmed CONFIRM_REMINDER_HOURS ago (0: none),
    as the rules above allow; return how many were owed."""
    hours = current_app.config["CONFIRM_REMINDER_HOURS"]
    if hours <= 0:
        return 0
    now = now or clock.now()
    given_before = now - timedelta(hours=hours)
    owed, after_id = 0, 0
    while True:
        rows = db.session.execute(_due(given_before, after_id)).all()
        for signature_id, index in rows:
            key = f"{_KEY}{signature_id}"
            reminder = mail.owe(
                kind=CONFIRM_REMINDER_KIND,
                dedupe_key=key,
                ref_id=signature_id,
                recipient_index=index,
                now=now,
            )
            owed += reminder is not None
        db.session.commit()
        if len(rows) < BATCH:
            return owed
        after_id = rows[-1][0]


def _due(given_before: datetime, after_id: int) -> Select[int, str]:
    """The next batch of signatures due a reminder (id, address's keyed hash), by id."""
    other = aliased(Signature)
    return (
        select(Signature.id, Person.email_index)
        .join(Person, Person.id == Signature.person_id)
        .join(Campaign, Campaign.id == Signature.campaign_id)
        .where(
            Signature.id > after_id,
            Signature.status == SignatureStatus.PENDING,
            Signature.created_at <= given_before,
            Signature.created_at > given_before - _LATE,
            Signature.sealed.is_not(None),
            Campaign.status.in_([CampaignStatus.OPEN, CampaignStatus.CLOSED]),
            ~select(other.id)
            .where(
                other.person_id == Signature.person_id,
                other.id != Signature.id,
                other.status == SignatureStatus.PENDING,
            )
            .exists(),
            ~suppressions.closes(Person.email_index),
            ~select(OutboxMessage.id)
            .where(OutboxMessage.dedupe_key == literal(_KEY, String) + cast(Signature.id, String))
            .exists(),
        )
        .order_by(Signature.id)
        .limit(BATCH)
    )
