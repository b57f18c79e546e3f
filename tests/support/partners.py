"""Co-hosted campaigns: the campaign and its partners, and the steps partners take through the pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from tests.support.builder import Person, Team
from tests.support.forms import post_form


@dataclass
class Cohosted:
    """The campaign, its partners and their owners."""

    team: Team
    campaign: Any
    partner_a: Any
    owner_a: Person
    partner_b: Any
    owner_b: Person


def invite(person: Person, campaign: Any, name: str) -> Any:
    """An owner invites an organization from the campaign's partners page."""
    page = f"/organize/campaigns/{campaign.id}/partners"
    return post_form(person.browser, page, organization=name)


def answer(db: Any, person: Person, campaign: Any, organization: Any, verb: str = "accept") -> Any:
    """A partner's owner accepts (or declines) from the co-hosted campaigns page."""
    from campaign.partners.models import CampaignPartner

    partnership = db.session.execute(
        select(CampaignPartner).where(
            CampaignPartner.campaign_id == campaign.id, CampaignPartner.organization_id == organization.id
        )
    ).scalar_one()
    return post_form(person.browser, "/organize/partners", f"/organize/partners/{partnership.id}/{verb}")
