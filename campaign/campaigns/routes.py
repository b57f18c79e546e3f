"""Public campaign pages: the list, a campaign with its form, the thank-you page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from campaign.campaigns import pages, service
from campaign.counts.service import read_count, read_totals, trending
from campaign.extensions import limiter

bp = Blueprint("campaigns", __name__)
# Public reads under a surge: no rate-limit bookkeeping on them (the proxy
# in front may limit abusive clients; a cached answer costs less than a check).
limiter.exempt(bp)


@bp.get("/")
def index() -> str:
    """List the open campaigns, the ones signed most in the last hour first."""
    campaigns = service.open_campaigns()
    ids = [c.id for c in campaigns]
    recent = trending(ids)
    ordered = sorted(campaigns, key=lambda c: recent.get(c.id, 0), reverse=True)
    return render_template("campaigns/index.html", campaigns=ordered, totals=read_totals(ids), recent=recent)


@bp.get("/campaigns/<slug>")
def show(slug: str) -> str:
    """Show a campaign and its sign form."""
    return pages.campaign_page(service.public_view_or_404(slug), request.args.get("source"))


@bp.get("/campaigns/<slug>/thanks")
def thanks(slug: str) -> str:
    """Thank a supporter who confirmed, with the count and ways to share."""
    view = service.public_view_or_404(slug)
    count = read_count(view.id)
    return render_template(
        "campaigns/thanks.html", campaign=view, count_html=pages.count_html(count, count.goal or view.goal)
    )
