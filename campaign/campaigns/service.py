"""Finding campaigns for the public pages, and rendering what organizers wrote."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import nh3
from flask import abort, current_app
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import ColumnElement, and_, or_, select

from campaign import cache, clock
from campaign.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    takes_signatures,
    takes_signatures_sql,
)
from campaign.extensions import db

# Organizers write Markdown; what reaches the page is HTML that nh3 allows.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "h2",
    "h3",
    "h4",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "code",
    "pre",
}


def render_markdown(source: str) -> Markup:
    """Render Markdown to sanitized HTML: no scripts, no styles, safe links only."""
    html = _markdown.render(source)
    return Markup(  # noqa: S704 - nh3 has sanitized it
        nh3.clean(
            html,
            tags=_ALLOWED_TAGS,
            attributes={"a": {"href", "title"}},
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer nofollow",
        )
    )


def open_campaigns() -> Sequence[Campaign]:
    """The campaigns open for signing now (not past their deadline), newest first."""
    now = clock.now()
    return (
        db.session.execute(
            select(Campaign)
            .where(takes_signatures_sql(now))
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
        .scalars()
        .all()
    )


ENDED_PER_PAGE = 20


def has_ended(now: datetime) -> ColumnElement[bool]:
    """Whether a campaign had ended by `now`: closed, or open past its deadline (one taken down is not
    said to have ended: it is gone)."""
    return or_(
        Campaign.status == CampaignStatus.CLOSED,
        and_(Campaign.status == CampaignStatus.OPEN, Campaign.closes_at <= now),
    )


def ended_campaigns(page: int) -> tuple[Sequence[Campaign], bool]:
    """A page of the campaigns that ended (never one taken down), the latest to end first; and
    whether a page follows."""
    rows = (
        db.session.execute(
            select(Campaign)
            .where(has_ended(clock.now()))
            .order_by(Campaign.ended_at.desc(), Campaign.id.desc())
            .offset((page - 1) * ENDED_PER_PAGE)
            .limit(ENDED_PER_PAGE + 1)
        )
        .scalars()
        .all()
    )
    return rows[:ENDED_PER_PAGE], len(rows) > ENDED_PER_PAGE


SITEMAP_LIMIT = 50_000  # the most addresses one sitemap may hold (sitemaps.org)


def listed_campaigns() -> Sequence[tuple[str, datetime]]:
    """The slug and last change of each campaign search engines may list (open or ended, never a draft,
    one in review or one taken down), the latest changed first."""
    listed = (
        select(Campaign.slug, Campaign.updated_at)
        .where(Campaign.status.in_([CampaignStatus.OPEN, CampaignStatus.CLOSED]))
        .order_by(Campaign.updated_at.desc(), Campaign.id.desc())
        .limit(SITEMAP_LIMIT - 2)  # the home page and the list of those that ended come first
    )
    return [(slug, updated_at) for slug, updated_at in db.session.execute(listed)]


@dataclass(frozen=True)
class CampaignView:
    """What the public pages show of a campaign, with its Markdown already rendered."""

    id: int
    slug: str
    kind: CampaignKind
    title: str
    summary: str
    body_html: Markup
    goal: int
    status: CampaignStatus
    language: str
    opens_at: datetime | None
    closes_at: datetime | None
    updated_at: datetime
    # Whose key its signers' data is sealed to (None: the platform's).
    organization_id: int | None = None

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignView:
        """Take the public view of a campaign."""
        return cls(
            campaign.id,
            campaign.slug,
            campaign.kind,
            campaign.title,
            campaign.summary,
            _rendered_body(campaign.id, campaign.updated_at, campaign.body_markdown),
            campaign.goal,
            campaign.status,
            campaign.language,
            campaign.opens_at,
            campaign.closes_at,
            campaign.updated_at,
            campaign.organization_id,
        )

    def is_open_at(self, moment: datetime) -> bool:
        """Tell whether supporters may sign at the given moment."""
        return takes_signatures(self.status, self.opens_at, self.closes_at, moment)

    @property
    def is_letter(self) -> bool:
        """Tell whether signing sends letters to officials."""
        return self.kind == CampaignKind.LETTER


@functools.lru_cache(maxsize=256)
def _rendered_body(campaign_id: int, updated_at: datetime, body_markdown: str) -> Markup:
    """A campaign's body as HTML, rendered once per version of the campaign."""
    return render_markdown(body_markdown)


# slug -> view. Each process keeps the views it served for a few seconds, so a
# page view costs no query; a moderation decision reaches every process within
# PUBLIC_VIEW_SECONDS.
_views: cache.Local[str, CampaignView | None] = cache.Local(10_000)


def public_view_or_404(slug: str, *, fresh: bool = False) -> CampaignView:
    """The public view of the campaign with this slug (open or closed, never a draft), cached briefly.

    Writes ask for a fresh one: a campaign closed a second ago takes no signature.
    """
    seconds = current_app.config["PUBLIC_VIEW_SECONDS"]
    view = _views.get_or_make(slug, seconds, lambda: _public_view(slug), fresh=fresh)
    if view is None:
        abort(404)
    return view


def _public_view(slug: str) -> CampaignView | None:
    """The view of the open or closed campaign with this slug, read from the database."""
    campaign = db.session.execute(
        select(Campaign).where(
            Campaign.slug == slug,
            Campaign.status.in_([CampaignStatus.OPEN, CampaignStatus.CLOSED]),
        )
    ).scalar_one_or_none()
    return CampaignView.of(campaign) if campaign else None


def forget_views() -> None:
    """Drop every cached view (tests, and after an edit in this process)."""
    _views.clear()
