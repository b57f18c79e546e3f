"""What the public campaign page shows from the builder: the outcome, the image, the share text.

The page is rendered from a CampaignView and cached per campaign version; these
parts are read for the same version when a skeleton is rendered, so an edit
(which moves `updated_at`) shows at once and nothing here is user-specific.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from campaign.builder.lifecycle import Outcome, outcome_of
from campaign.campaigns.models import Campaign
from campaign.campaigns.service import CampaignView
from campaign.extensions import db
from campaign.links import absolute_url


@dataclass(frozen=True)
class PageExtras:
    """The builder's parts of a campaign's public page."""

    outcome: Outcome | None = None
    # The image's path for the page (same origin, as the CSP wants) and its absolute URL for og:image.
    image_path: str | None = None
    image_url: str | None = None
    image_width: int | None = None
    image_height: int | None = None
    share_text: str = ""


def page_extras(view: CampaignView) -> PageExtras:
    """The outcome, image and share text of the campaign a public page shows."""
    campaign = db.session.get(Campaign, view.id)
    if campaign is None:
        return PageExtras()
    return PageExtras(
        outcome=outcome_of(campaign),
        image_path=url_for("builder.image", name=campaign.image_name) if campaign.image_name else None,
        image_url=absolute_url("builder.image", name=campaign.image_name) if campaign.image_name else None,
        image_width=campaign.image_width,
        image_height=campaign.image_height,
        share_text=campaign.share_text,
    )
