"""Finding campaigns for the public pages, and rendering what organizers wrote."""

from __future__ import annotations

from collections.abc import Sequence

import nh3
from flask import abort
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import select

from campaign.campaigns.models import Campaign, CampaignStatus
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
    """The campaigns open for signing, newest first."""
    return (
        db.session.execute(
            select(Campaign)
            .where(Campaign.status == CampaignStatus.OPEN)
            .order_by(Campaign.created_at.desc(), Campaign.id.desc())
        )
        .scalars()
        .all()
    )


def public_campaign_or_404(slug: str) -> Campaign:
    """The campaign with this slug, if the public may see it (open or closed, never a draft)."""
    campaign = db.session.execute(
        select(Campaign).where(
            Campaign.slug == slug,
            Campaign.status.in_([CampaignStatus.OPEN, CampaignStatus.CLOSED]),
        )
    ).scalar_one_or_none()
    if campaign is None:
        abort(404)
    return campaign
