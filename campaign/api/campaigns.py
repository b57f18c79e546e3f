"""Petitions and advocacy campaigns (letter campaigns) as OSDI shows them, and how they are found."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from campaign.accounts.models import User
from campaign.api import filters
from campaign.api.resources import ORIGIN_SYSTEM, identifiers, iso, links, one_or_404
from campaign.api.scope import in_scope
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.campaigns.service import render_markdown
from campaign.counts.read import read_count
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.targets.models import LetterCampaign, LetterTarget, Official, Targeting

CAMPAIGN_FIELDS = {
    "created_date": filters.date_field(Campaign.created_at),
    "modified_date": filters.date_field(Campaign.updated_at),
    "title": filters.Field(
        lambda op, value: filters.compare(Campaign.title, op, value), convert=filters.text
    ),
}


def campaign_or_404(user: User, campaign_id: int, kind: CampaignKind) -> Campaign:
    """A campaign of this kind in the user's scope; 404 for anything else, even if it exists."""
    found: Campaign = one_or_404(
        select(Campaign).where(Campaign.id == campaign_id, Campaign.kind == kind, in_scope(user))
    )
    return found


def campaigns_query(user: User, kind: CampaignKind) -> Select[Any]:
    """The user's campaigns of one kind, oldest first."""
    return select(Campaign).where(Campaign.kind == kind, in_scope(user)).order_by(Campaign.id)


def targets(campaign: Campaign) -> list[dict[str, str]]:
    """The officials on a letter campaign's own list (OSDI targets); none for a routed campaign, which
    writes to each signer's own officials, nor for a petition without letters."""
    officials = db.session.execute(
        select(Official)
        .join(LetterTarget, LetterTarget.official_id == Official.id)
        .join(LetterCampaign, LetterCampaign.campaign_id == LetterTarget.campaign_id)
        .where(LetterTarget.campaign_id == campaign.id, LetterCampaign.targeting == Targeting.FIXED)
        .order_by(Official.name, Official.id)
    ).scalars()
    return [
        {
            key: value
            for key, value in (("name", o.name), ("title", o.title), ("organization", o.body))
            if value
        }
        for o in officials
    ]


def _described(campaign: Campaign) -> dict[str, Any]:
    """What petitions and advocacy campaigns both show first: the record, its title and its text."""
    return {
        "identifiers": identifiers(campaign.id),
        "origin_system": ORIGIN_SYSTEM,
        "created_date": iso(campaign.created_at),
        "modified_date": iso(campaign.updated_at),
        "title": campaign.title,
        "summary": campaign.summary,
        "description": str(render_markdown(campaign.body_markdown or "")),
    }


def petition(campaign: Campaign) -> dict[str, Any]:
    """A petition in OSDI's shape: summary in text, description and petition text in sanitised HTML."""
    shown = _described(campaign)
    return {
        **shown,
        "petition_text": shown["description"],
        "total_signatures": read_count(campaign.id).total,
        "target": targets(campaign),
        "status": str(campaign.status),
        "browser_url": absolute_url("campaigns.show", slug=campaign.slug),
        "_links": links(
            self=absolute_url("api.petition", petition_id=campaign.id),
            osdi_signatures=absolute_url("api.signatures", petition_id=campaign.id),
            osdi_record_signature_helper=absolute_url("api.record_signature", petition_id=campaign.id),
        ),
    }


def advocacy_campaign(campaign: Campaign) -> dict[str, Any]:
    """A letter campaign in OSDI's shape (an advocacy campaign)."""
    return {
        **_described(campaign),
        "status": str(campaign.status),
        "browser_url": absolute_url("campaigns.show", slug=campaign.slug),
        "type": "email",
        "targets": targets(campaign),
        "total_outreaches": read_count(campaign.id).total,
        "_links": links(
            self=absolute_url("api.advocacy_campaign", campaign_id=campaign.id),
            osdi_outreaches=absolute_url("api.outreaches", campaign_id=campaign.id),
            osdi_record_outreach_helper=absolute_url("api.record_outreach", campaign_id=campaign.id),
        ),
    }
