"""Which campaigns, and whose signers, a token's user may reach through the API."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, true

from campaign.accounts.access import manageable_by
from campaign.accounts.models import Membership, User
from campaign.campaigns.models import Campaign
from campaign.extensions import db


def in_scope(user: User) -> ColumnElement[bool]:
    """The campaigns a user may reach: all for staff, their organizations' for organizers."""
    if user.is_staff:
        return true()
    mine = select(Membership.organization_id).where(Membership.user_id == user.id)
    return Campaign.organization_id.in_(mine)


def personal_scope(user: User) -> ColumnElement[bool]:
    """The campaigns whose signers the user may read: the ones they may export (all, for staff)."""
    return manageable_by(user, for_export=True)


def may_read_signers(user: User, campaign: Campaign | None = None) -> bool:
    """Tell whether the user may read the signers of this campaign (of any campaign, without one)."""
    if user.is_staff:
        return True
    query = select(Campaign.id).where(personal_scope(user))
    if campaign is not None:
        query = query.where(Campaign.id == campaign.id)
    return db.session.execute(query.limit(1)).first() is not None


def signer_scope(user: User) -> str | list[int]:
    """For the audit: "all" for staff, else the organizations whose signers the user may read."""
    if user.is_staff:
        return "all"
    organizations = select(Campaign.organization_id).where(personal_scope(user)).distinct()
    return sorted(found for found in db.session.execute(organizations).scalars() if found is not None)
