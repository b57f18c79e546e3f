"""A word to a campaign's organizers when it ends: tell its supporters what came of it.

An ended campaign with no outcome says nothing to those who signed it, nor on
the list of campaigns that ended (/ended). Its contact is told once, within
the hour it ended, in the campaign's language, with the link to the outcome
form; a campaign that already has its outcome, or that ended more than two
days before (beat was down: the moment has passed), is left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from campaign import clock, i18n
from campaign.campaigns.models import Campaign
from campaign.campaigns.service import has_ended
from campaign.campaigns.translations import in_language
from campaign.counts.read import read_totals
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import service as mail

ENDED_KIND = "campaign-ended"
_LATE = timedelta(days=2)


def tell_organizers_of_ended_campaigns(now: datetime | None = None) -> int:
    """Owe the note to the contact of each campaign that ended lately without an outcome; return how
    many were newly owed."""
    now = now or clock.now()
    ended = db.session.execute(
        select(Campaign).where(
            has_ended(now),
            Campaign.ended_at > now - _LATE,
            Campaign.outcome_kind.is_(None),
            Campaign.contact_email.is_not(None),
        )
    ).scalars()
    owed = sum(_tell(campaign) for campaign in ended)
    db.session.commit()
    return owed


def _tell(campaign: Campaign) -> bool:
    """Owe one campaign's note (once per ending: its key holds when it ended)."""
    ended = campaign.ended_at
    assert campaign.contact_email is not None and ended is not None  # as the query chose it
    language = campaign.language
    quoted = in_language(campaign, language)
    with i18n.writing_in(language):
        owed = mail.queue(
            kind=ENDED_KIND,
            dedupe_key=f"{ENDED_KIND}:{campaign.id}:{ended:%Y%m%d%H%M%S}",
            recipient=mail.address("", campaign.contact_email),
            # The contact is any address a member typed: bounded like all mail we are made to send.
            recipient_index=mail.recipient_index(campaign.contact_email),
            subject=_("Your campaign has ended: %(title)s", title=quoted.title),
            template="campaign_ended.txt",
            campaign=quoted,
            total=read_totals([campaign.id]).get(campaign.id, 0),
            outcome_url=absolute_url("builder.show", campaign_id=campaign.id) + "#outcome-heading",
            ended_url=absolute_url("campaigns.ended", **i18n.link_values(language)),
        )
    return owed is not None
