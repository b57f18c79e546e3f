"""Pacing: each official receives letters one slot at a time, under an hourly cap, in a daily window."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from campaign.database import insert
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.targets.messages import LETTER_KIND
from campaign.targets.models import Letter, LetterCampaign, LetterSchedule


def sending_moment(settings: LetterCampaign, moment: datetime) -> datetime:
    """The first moment at or after `moment` inside the campaign's daily sending window (UTC)."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if moment.hour < settings.window_start_hour:
        return midnight + timedelta(hours=settings.window_start_hour)
    if moment.hour >= settings.window_end_hour:
        return midnight + timedelta(days=1, hours=settings.window_start_hour)
    return moment


def _next_slot(settings: LetterCampaign, official_id: int, now: datetime) -> datetime:
    """Take the next sending slot for this official: evenly spaced under the hourly cap, in the window.

    The slot belongs to the official, not to the campaign: three campaigns
    writing to one minister still reach them at one campaign's pace.
    """
    keys = {"official_id": official_id}
    db.session.execute(
        insert(LetterSchedule)
        .values(**keys, next_slot_at=now)
        .on_conflict_do_nothing(index_elements=["official_id"])
    )
    # The row lock makes concurrent confirmations take slots one after another.
    schedule = db.session.execute(
        select(LetterSchedule).filter_by(**keys).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    slot = sending_moment(settings, max(schedule.next_slot_at, now))
    schedule.next_slot_at = slot + timedelta(seconds=3600 / settings.hourly_cap)
    return slot


def queue_letter(letter: Letter, settings: LetterCampaign, now: datetime, *, again: bool = False) -> None:
    """Owe one letter at the official's next slot; the worker writes it when the slot comes. Again:
    a letter whose first message never arrived, sent anew (its own message, not the first one's)."""
    retry = f":again:{now:%Y%m%d%H%M%S%f}" if again else ""
    letter.outbox_id = mail.owe(
        kind=LETTER_KIND,
        dedupe_key=f"letter:{letter.signature_id}:{letter.official_id}{retry}",
        ref_id=letter.id,
        due_at=_next_slot(settings, letter.official_id, now),
        now=now,
    )
