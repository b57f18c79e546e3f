"""A campaign's accepted partners as its public page shows them: names and logos, the same for everyone.

Read once per campaign version and minute in each process, like the rest of
the page (campaign.campaigns.pages): accepting or removing a partner moves
the campaign's `updated_at`, so the page and the sign form change at once;
a partner's new name or logo shows within PARTNERS_SECONDS. A campaign with
no partner costs the sign POST nothing: its form has no partner box to tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select

from campaign import cache
from campaign.accounts.models import Organization
from campaign.extensions import db
from campaign.partners.models import CampaignPartner, PartnerStatus

PARTNERS_SECONDS = 60.0


class Versioned(Protocol):
    """A campaign, or its public view: its id and the version it is at."""

    @property
    def id(self) -> int:
        """The campaign's id."""
        ...

    @property
    def updated_at(self) -> datetime:
        """When the campaign last changed."""
        ...


@dataclass(frozen=True)
class PartnerCard:
    """An accepted partner, as the campaign page names it and offers the consent to hear from it."""

    organization_id: int
    name: str
    # The organization's logo file (campaign.accounts.logos), served by partners.logo.
    logo_name: str | None = None
    logo_width: int | None = None
    logo_height: int | None = None


# (campaign id, its version) -> its accepted partners, by name.
_cards: cache.Local[tuple[int, datetime], tuple[PartnerCard, ...]] = cache.Local(10_000)


def partners_of(campaign: Versioned) -> tuple[PartnerCard, ...]:
    """The campaign's accepted partners, by name, kept a minute per version in this process."""
    key = (campaign.id, campaign.updated_at)
    return _cards.get_or_make(key, PARTNERS_SECONDS, lambda: _read(campaign.id))


def _read(campaign_id: int) -> tuple[PartnerCard, ...]:
    """The campaign's accepted partners, read from the database."""
    rows = db.session.execute(
        select(Organization)
        .join(CampaignPartner, CampaignPartner.organization_id == Organization.id)
        .where(CampaignPartner.campaign_id == campaign_id, CampaignPartner.status == PartnerStatus.ACCEPTED)
        .order_by(Organization.name, Organization.id)
    ).scalars()
    return tuple(
        PartnerCard(org.id, org.name, org.logo_name, org.logo_width, org.logo_height) for org in rows
    )
