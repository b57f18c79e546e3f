"""What the partners' pages list: a campaign's partners, invitations waiting, campaigns co-hosted with
how many signers consented to each partner."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from campaign.accounts.models import MemberRole, Membership, Organization, User
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.partners.models import CampaignPartner, PartnerConsent, PartnerStatus
from campaign.signing.models import Signature, SignatureStatus

# Ids outside PostgreSQL's integer never name a row (and must not reach a query).
_MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class Cohosted:
    """A campaign one of the user's organizations co-hosts, and its sign-ups for that organization."""

    partnership: CampaignPartner
    campaign: Campaign
    organization: Organization
    # Confirmed signatures that consented to this partner.
    consented: int


def partners_of_campaign(campaign_id: int) -> list[CampaignPartner]:
    """Every organization invited to co-host the campaign: invited and accepted first, then by name."""
    query = (
        select(CampaignPartner)
        .join(Organization, Organization.id == CampaignPartner.organization_id)
        .where(CampaignPartner.campaign_id == campaign_id)
        .order_by(
            CampaignPartner.status.in_([PartnerStatus.INVITED, PartnerStatus.ACCEPTED]).desc(),
            Organization.name,
        )
    )
    return list(db.session.execute(query).scalars())


def partnership_or_none(partnership_id: int) -> CampaignPartner | None:
    """A partnership by id (None for an id no row could have)."""
    return db.session.get(CampaignPartner, partnership_id) if 0 < partnership_id <= _MAX_ID else None


def partnership_of(campaign_id: int, organization_id: int) -> CampaignPartner | None:
    """The partnership of this organization in this campaign, if it was ever invited."""
    if not 0 < organization_id <= _MAX_ID:
        return None
    query = select(CampaignPartner).where(
        CampaignPartner.campaign_id == campaign_id, CampaignPartner.organization_id == organization_id
    )
    return db.session.execute(query).scalar_one_or_none()


@dataclass(frozen=True)
class Invitation:
    """An invitation to co-host, waiting for one of the user's organizations, and who sent it."""

    partnership: CampaignPartner
    # The organization that runs the campaign (None if it no longer exists).
    host: str | None


def invitations_for(user: User) -> list[Invitation]:
    """The invitations waiting for an answer from organizations the user owns, oldest first."""
    owned = select(Membership.organization_id).where(
        Membership.user_id == user.id, Membership.role == MemberRole.OWNER
    )
    query = (
        select(CampaignPartner, Organization.name)
        .join(Campaign, Campaign.id == CampaignPartner.campaign_id)
        .outerjoin(Organization, Organization.id == Campaign.organization_id)
        .where(CampaignPartner.status == PartnerStatus.INVITED, CampaignPartner.organization_id.in_(owned))
        .order_by(CampaignPartner.created_at, CampaignPartner.id)
    )
    return [Invitation(partnership, host) for partnership, host in db.session.execute(query).all()]


def cohosted_by(user: User) -> list[Cohosted]:
    """The campaigns the user's organizations co-host, each with its partner's sign-ups, by title."""
    mine = select(Membership.organization_id).where(Membership.user_id == user.id)
    rows = db.session.execute(
        select(CampaignPartner, Campaign, Organization)
        .join(Campaign, Campaign.id == CampaignPartner.campaign_id)
        .join(Organization, Organization.id == CampaignPartner.organization_id)
        .where(CampaignPartner.status == PartnerStatus.ACCEPTED, CampaignPartner.organization_id.in_(mine))
        .order_by(Campaign.title, Organization.name)
    ).all()
    counts = _consent_counts([partnership.organization_id for partnership, _, _ in rows])
    return [
        Cohosted(partnership, campaign, organization, counts.get((campaign.id, organization.id), 0))
        for partnership, campaign, organization in rows
    ]


def _consent_counts(organization_ids: list[int]) -> dict[tuple[int, int], int]:
    """(campaign id, partner id) -> how many confirmed signatures consented to that partner."""
    if not organization_ids:
        return {}
    rows = db.session.execute(
        select(Signature.campaign_id, PartnerConsent.organization_id, func.count())
        .join(Signature, Signature.id == PartnerConsent.signature_id)
        .where(
            PartnerConsent.organization_id.in_(set(organization_ids)),
            Signature.status == SignatureStatus.VALIDATED,
        )
        .group_by(Signature.campaign_id, PartnerConsent.organization_id)
    ).all()
    return {(campaign_id, organization_id): int(count) for campaign_id, organization_id, count in rows}
