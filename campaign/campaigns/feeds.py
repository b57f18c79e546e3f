"""Atom feeds of the two public lists: campaigns as they open, and what came of those that ended.

A reader follows them in a feed reader, a newsroom's or a partner's tool
without giving us an address: like the pages, a feed is public and the
same bytes for every reader of a language, so nothing tells us who follows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from campaign import clock, i18n
from campaign.builder.lifecycle import Outcome, outcome_of
from campaign.campaigns import service, translations
from campaign.campaigns.models import Campaign
from campaign.counts.read import read_totals
from campaign.links import absolute_url

FEED_LENGTH = 50  # the newest campaigns a feed of open ones holds (a reader keeps what it has read)


@dataclass(frozen=True)
class Entry:
    """One campaign in a feed, in the reader's language where it is translated."""

    key: str  # its permanent id: a tag URI (RFC 4151) that no change of title or address alters
    title: str
    summary: str
    language: str  # the language of the title and summary: the campaign's own without a translation
    campaign_language: str  # the outcome's: organizers write it once, in the campaign's language
    address: str
    published: datetime
    updated: datetime
    is_letter: bool
    total: int
    goal: int
    outcome: Outcome | None

    @property
    def outcome_html(self) -> Markup | None:
        """What came of it, as the campaign's page shows it."""
        return self.outcome.html if self.outcome else None


@dataclass(frozen=True)
class Feed:
    """A feed as the template writes it."""

    key: str
    title: str
    address: str  # the feed's own
    page: str  # the list it follows
    updated: datetime
    entries: list[Entry]


def opened() -> Feed:
    """The newest open campaigns, each as it opened."""
    campaigns = service.open_campaigns()[:FEED_LENGTH]
    title = _("Open campaigns")
    return _feed("campaigns.open_feed", "campaigns.index", title, campaigns, _opened_at, "opened")


def ended() -> Feed:
    """The campaigns that ended last, each with what came of it."""
    campaigns, _has_more = service.ended_campaigns(1)
    title = _("Campaigns that ended")
    return _feed("campaigns.ended_feed", "campaigns.ended", title, campaigns, _ended_at, "ended")


def _feed(
    endpoint: str,
    page: str,
    title: str,
    campaigns: Sequence[Campaign],
    published_at: Callable[[Campaign], datetime],
    kind: str,
) -> Feed:
    """A feed of these campaigns, each entry published at `published_at(campaign)`; `kind` tells the
    entries of one feed from the same campaign's in the other."""
    totals = read_totals([campaign.id for campaign in campaigns])
    language = i18n.requested_language()
    shown = translations.all_in_language(campaigns, i18n.current_language())
    entries = []
    for campaign, words in zip(campaigns, shown, strict=True):
        published = published_at(campaign)
        outcome = outcome_of(campaign)
        entries.append(
            Entry(
                key=f"{_tag(campaign.created_at)}:campaigns/{campaign.id}/{kind}",
                title=words.title,
                summary=words.summary,
                language=words.language,
                campaign_language=campaign.language,
                address=absolute_url("campaigns.show", slug=campaign.slug, lang=language),
                published=published,
                updated=max(published, outcome.published_at) if outcome else published,
                is_letter=campaign.is_letter,
                total=totals.get(campaign.id, 0),
                goal=campaign.goal,
                outcome=outcome,
            )
        )
    return Feed(
        key=absolute_url(endpoint),
        title=title,
        address=absolute_url(endpoint, lang=language),
        page=absolute_url(page, lang=language),
        updated=max((entry.updated for entry in entries), default=clock.now()),
        entries=entries,
    )


def _opened_at(campaign: Campaign) -> datetime:
    """When it began to take signatures: approved, or later at the time it was set to open."""
    moments = [moment for moment in (campaign.approved_at, campaign.opens_at) if moment is not None]
    return max(moments, default=campaign.created_at)


def _ended_at(campaign: Campaign) -> datetime:
    """When it stopped taking signatures."""
    return campaign.ended_at or campaign.updated_at


def _tag(created: datetime) -> str:
    """The start of a tag URI on this site's host, dated by the day the thing was made."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"tag:{host},{created:%Y-%m-%d}"
