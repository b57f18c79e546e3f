"""Who may do what with a co-hosted campaign: owners invite and remove partners, a partner's owners
answer, and a partner's members export the signers who consented to their organization, and no one else.

A partner's export follows the export rules (campaign.exports): its
organization must let its members export, and the export is audited like
any other; it lists only the signatures that consented to that partner.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select

from campaign.accounts.models import MemberRole, Membership, Organization, User
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.extensions import db
from campaign.partners.models import CampaignPartner, PartnerStatus

# Ids outside PostgreSQL's integer never name a row (and must not reach a query).
_MAX_ID = 2**31 - 1


def is_owner(user: User, organization_id: int | None) -> bool:
    """Tell whether the user is one of the organization's owners."""
    if organization_id is None:
        return False
    found = db.session.get(Membership, (organization_id, user.id))
    return found is not None and found.role == MemberRole.OWNER


def is_member(user: User, organization_id: int) -> bool:
    """Tell whether the user belongs to the organization."""
    return db.session.get(Membership, (organization_id, user.id)) is not None


def _exporting_organizations(user: User) -> Select[Any]:
    """The ids of the user's organizations that let their members export."""
    return (
        select(Membership.organization_id)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id == user.id, Organization.allows_member_exports.is_(True))
    )


def exportable_campaigns(user: User) -> ColumnElement[bool]:
    """The campaigns the user may export as a partner's member, as a condition on Campaign."""
    partnered = select(CampaignPartner.campaign_id).where(
        CampaignPartner.status == PartnerStatus.ACCEPTED,
        CampaignPartner.organization_id.in_(_exporting_organizations(user)),
    )
    return Campaign.id.in_(partnered)


def export_organizations(user: User) -> list[Organization]:
    """The user's organizations that partner a campaign and let their members export, by name."""
    partnering = select(CampaignPartner.organization_id).where(
        CampaignPartner.status == PartnerStatus.ACCEPTED
    )
    query = (
        select(Organization)
        .where(Organization.id.in_(_exporting_organizations(user)), Organization.id.in_(partnering))
        .order_by(Organization.name, Organization.id)
    )
    return list(db.session.execute(query).scalars())


def may_export_for(user: User, campaign_id: int, organization_id: int) -> bool:
    """Tell whether the user may export the campaign's signers who consented to this partner."""
    if not (0 < campaign_id <= _MAX_ID and 0 < organization_id <= _MAX_ID):
        return False
    query = select(
        exists().where(
            CampaignPartner.campaign_id == campaign_id,
            CampaignPartner.organization_id == organization_id,
            CampaignPartner.status == PartnerStatus.ACCEPTED,
            CampaignPartner.organization_id.in_(_exporting_organizations(user)),
        )
    )
    return bool(db.session.execute(query).scalar())


def cohosts_a_public_campaign(organization_id: int) -> bool:
    """Tell whether the organization is an accepted partner of an open or closed campaign (its logo is
    on that page)."""
    query = select(
        exists().where(
            CampaignPartner.organization_id == organization_id,
            CampaignPartner.status == PartnerStatus.ACCEPTED,
            Campaign.id == CampaignPartner.campaign_id,
            Campaign.status.in_([CampaignStatus.OPEN, CampaignStatus.CLOSED]),
        )
    )
    return bool(db.session.execute(query).scalar())
