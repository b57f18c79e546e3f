"""Public campaign pages: the list, a campaign with its form, the thank-you page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from campaign import clock
from campaign.campaigns import service
from campaign.campaigns.models import Campaign
from campaign.counts.service import read_count, read_totals
from campaign.signing.forms import SignForm

bp = Blueprint("campaigns", __name__)


@bp.get("/")
def index() -> str:
    """List the open campaigns."""
    campaigns = service.open_campaigns()
    totals = read_totals([c.id for c in campaigns])
    return render_template("campaigns/index.html", campaigns=campaigns, totals=totals)


@bp.get("/campaigns/<slug>")
def show(slug: str) -> tuple[str, int]:
    """Show a campaign and its sign form."""
    campaign = service.public_campaign_or_404(slug)
    form = SignForm(source=request.args.get("source", ""))
    return render_campaign(campaign, form)


def render_campaign(campaign: Campaign, form: SignForm, status: int = 200) -> tuple[str, int]:
    """Render the campaign page, with the form as given (fresh or with errors)."""
    return (
        render_template(
            "campaigns/show.html",
            campaign=campaign,
            form=form,
            count=read_count(campaign.id),
            is_open=campaign.is_open_at(clock.now()),
        ),
        status,
    )


@bp.get("/campaigns/<slug>/thanks")
def thanks(slug: str) -> str:
    """Thank a supporter who confirmed, with the count and ways to share."""
    campaign = service.public_campaign_or_404(slug)
    return render_template("campaigns/thanks.html", campaign=campaign, count=read_count(campaign.id))
