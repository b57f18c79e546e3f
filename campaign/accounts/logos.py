"""Organization logos: an owner uploads one, checked and re-encoded as campaign images are.

The file goes through campaign.builder.images (Pillow decodes it within the
limits and draws a fresh file from its pixels, without metadata), kept under a
random name in its own folder. The public sees a logo once the organization
runs a public campaign, on whose page it is shown; before that, only its
members and staff do.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy import exists, select

from campaign.accounts.models import Organization, User
from campaign.accounts.organizations import membership
from campaign.audit.service import record
from campaign.builder import images
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.extensions import db

# A logo is shown small (a card on the campaign page): its longest side is kept at this at most.
LOGO_MAX_SIDE = 512


def folder() -> Path:
    """Where logos are kept: ORGANIZATION_LOGO_FOLDER, or a folder in the instance folder."""
    configured = current_app.config.get("ORGANIZATION_LOGO_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "organization-logos"


def clean(stream: IO[bytes]) -> images.CleanImage:
    """Check and re-encode an uploaded logo (raises images.BadImage with the reason)."""
    return images.clean(stream, max_side=LOGO_MAX_SIDE)


def replace(organization: Organization, logo: images.CleanImage, user: User) -> str | None:
    """Store a new logo for the organization; return the old file's name, to delete after the commit."""
    old = organization.logo_name
    organization.logo_name = images.store(logo, folder())
    organization.logo_width, organization.logo_height = logo.width, logo.height
    db.session.flush()
    where = f"organization:{organization.id}"
    record(f"user:{user.id}", "organization.logo_changed", where, logo=organization.logo_name)
    return old


def remove(organization: Organization, user: User) -> str | None:
    """Take the logo off; return the file's name, to delete after the commit."""
    old = organization.logo_name
    if old is None:
        return None
    organization.logo_name = organization.logo_width = organization.logo_height = None
    db.session.flush()
    record(f"user:{user.id}", "organization.logo_removed", f"organization:{organization.id}")
    return old


def delete(name: str | None) -> None:
    """Remove a stored logo that nothing shows any more."""
    images.delete(name, folder())


def path_of(name: str) -> Path | None:
    """The stored file of a well-formed logo name, if it exists."""
    return images.path_of(name, folder())


def organization_of_logo(name: str) -> Organization | None:
    """The organization showing the logo with this name."""
    query = select(Organization).where(Organization.logo_name == name)
    return db.session.execute(query).scalar_one_or_none()


def is_public(organization: Organization) -> bool:
    """Tell whether the organization runs a campaign the public can see (its logo is on that page)."""
    query = select(
        exists().where(
            Campaign.organization_id == organization.id,
            Campaign.status.in_([CampaignStatus.OPEN, CampaignStatus.CLOSED]),
        )
    )
    return bool(db.session.execute(query).scalar())


def may_see(user: User | None, organization: Organization) -> bool:
    """Anyone sees the logo of an organization with a public campaign; its members and staff always."""
    if is_public(organization):
        return True
    if user is None:
        return False
    return user.is_staff or membership(user, organization.id) is not None
