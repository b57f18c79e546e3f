"""The public count of a campaign, as JSON."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from campaign.campaigns.service import public_campaign_or_404
from campaign.counts.service import read_count

bp = Blueprint("counts", __name__)


@bp.get("/campaigns/<slug>/count.json")
def count_json(slug: str) -> Response:
    """The campaign's validated signatures, in all and per country."""
    campaign = public_campaign_or_404(slug)
    count = read_count(campaign.id)
    response = jsonify(
        slug=campaign.slug,
        count=count.total,
        goal=campaign.goal,
        by_country=count.by_country,
        updated_at=count.updated_at.isoformat() + "Z" if count.updated_at else None,
    )
    response.cache_control.public = True
    response.cache_control.max_age = 2
    return response
