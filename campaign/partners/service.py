"""Co-hosting a campaign: an owner invites a partner organization, its owners accept or decline, an owner
removes it. Each step is audited; accepting and removing change the public page (the campaign's version).
"""

from __future__ import annotations

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from campaign import clock
from campaign.accounts.models import Organization, User
from campaign.audit.service import record
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.partners.models import CampaignPartner, PartnerStatus

# What a partnership may be answered or removed from.
_ANSWERABLE = (PartnerStatus.INVITED,)
_REMOVABLE = (PartnerStatus.INVITED, PartnerStatus.ACCEPTED)


class PartnerError(Exception):
    """The step cannot be taken; the message says why, for the person who asked."""


def find_organization(name_or_slug: str) -> Organization:
    """The one organization with this short name (slug) or, failing that, this name; PartnerError if none
    or several."""
    wanted = name_or_slug.strip()
    by_slug = db.session.execute(
        select(Organization).where(Organization.slug == wanted.lower())
    ).scalar_one_or_none()
    if by_slug is not None:
        return by_slug
    found = (
        db.session.execute(
            select(Organization).where(func.lower(Organization.name) == wanted.lower()).limit(2)
        )
        .scalars()
        .all()
    )
    if not found:
        raise PartnerError(gettext("No organization has this name or short name."))
    if len(found) > 1:
        raise PartnerError(gettext("Several organizations have this name: please give its short name."))
    return found[0]


def invite(campaign: Campaign, name_or_slug: str, user: User) -> CampaignPartner:
    """Invite an organization to co-host the campaign (again, after it declined or was removed)."""
    organization = find_organization(name_or_slug)
    if organization.id == campaign.organization_id:
        raise PartnerError(gettext("This organization already runs the campaign."))
    partnership = db.session.execute(
        select(CampaignPartner).where(
            CampaignPartner.campaign_id == campaign.id, CampaignPartner.organization_id == organization.id
        )
    ).scalar_one_or_none()
    if partnership is not None and partnership.status in _REMOVABLE:
        raise PartnerError(gettext("This organization is already invited or a partner."))
    if partnership is None:
        partnership = CampaignPartner(campaign_id=campaign.id, organization_id=organization.id)
        try:
            with db.session.begin_nested():
                db.session.add(partnership)
        except IntegrityError:
            # Invited at the same moment by another request: the unique constraint said so.
            raise PartnerError(gettext("This organization is already invited or a partner.")) from None
    partnership.status = PartnerStatus.INVITED
    partnership.invited_by_id = user.id
    partnership.created_at = clock.now()
    partnership.responded_at = partnership.removed_at = None
    db.session.flush()
    _audit(user, "partner.invited", partnership)
    return partnership


def answer(partnership: CampaignPartner, user: User, *, accept: bool) -> None:
    """Accept or decline an invitation (the partner's owners); accepting puts the partner on the page."""
    if partnership.status not in _ANSWERABLE:
        raise PartnerError(gettext("This invitation was already answered or withdrawn."))
    partnership.status = PartnerStatus.ACCEPTED if accept else PartnerStatus.DECLINED
    partnership.responded_at = clock.now()
    if accept:
        _new_version(partnership.campaign)
    _audit(user, "partner.accepted" if accept else "partner.declined", partnership)


def remove(partnership: CampaignPartner, user: User) -> None:
    """Remove a partner or withdraw its invitation (the campaign's owners): off the page and the form."""
    if partnership.status not in _REMOVABLE:
        raise PartnerError(gettext("This organization is not a partner of the campaign."))
    if partnership.status == PartnerStatus.ACCEPTED:
        _new_version(partnership.campaign)
    partnership.status = PartnerStatus.REMOVED
    partnership.removed_at = clock.now()
    _audit(user, "partner.removed", partnership)


def _new_version(campaign: Campaign) -> None:
    """Move the campaign's version, so its cached public page and sign form are made again."""
    campaign.updated_at = clock.now()


def _audit(user: User, action: str, partnership: CampaignPartner) -> None:
    """Record a step in the audit log, under the campaign."""
    record(
        f"user:{user.id}",
        action,
        f"campaign:{partnership.campaign_id}",
        organization_id=partnership.organization_id,
    )
