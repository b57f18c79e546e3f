"""Writing campaigns: create and edit drafts, unique slugs, images, and who may touch which campaign."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from campaign import slugs
from campaign.accounts.access import may_manage
from campaign.accounts.models import Membership, Organization, User
from campaign.accounts.organizations import membership
from campaign.audit.service import record
from campaign.builder import images, lifecycle
from campaign.builder.letters import DEFAULT_LETTER_BODY
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import Campaign, CampaignKind, CampaignStatus
from campaign.extensions import db
from campaign.targets.models import LetterCampaign, Targeting

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PUBLIC_STATUSES = (CampaignStatus.OPEN, CampaignStatus.CLOSED)


class SlugTaken(ValueError):
    """Another campaign already has this address."""


@dataclass(frozen=True)
class CampaignDraft:
    """What an organizer wrote in the builder's form."""

    title: str
    summary: str
    body_markdown: str
    goal: int
    closes_at: datetime | None
    language: str
    share_text: str
    slug: str | None = None
    decision_maker: str = ""


def actor(user: User) -> str:
    """How the audit log names a signed-in user."""
    return f"user:{user.id}"


def campaigns_of(user: User) -> list[tuple[Campaign, Organization]]:
    """The campaigns of every organization the user belongs to, newest first."""
    rows = db.session.execute(
        select(Campaign, Organization)
        .join(Organization, Organization.id == Campaign.organization_id)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id)
        .order_by(Campaign.created_at.desc(), Campaign.id.desc())
    ).all()
    return [(campaign, organization) for campaign, organization in rows]


def create(organization_id: int, kind: CampaignKind, draft: CampaignDraft, user: User) -> Campaign:
    """Start a draft for an organization the user belongs to, with a unique slug made from its title.

    Its notices (milestones, undelivered letters) go to the user who started it until they choose
    another address (campaign.builder.settings).
    """
    if membership(user, organization_id) is None:
        raise PermissionError("not a member of this organization")
    campaign = Campaign(
        kind=kind,
        status=CampaignStatus.DRAFT,
        organization_id=organization_id,
        slug="",
        contact_email=user.email,
    )
    _apply(campaign, draft)
    base = slugs.slugify(draft.title, fallback="campaign")
    for attempt in range(20):
        campaign.slug = base if attempt == 0 else f"{base}-{secrets.token_hex(3)}"
        try:
            with db.session.begin_nested():
                db.session.add(campaign)
        except IntegrityError:
            continue  # the slug is taken: the unique constraint said so
        if kind == CampaignKind.LETTER:
            db.session.add(_default_letter_settings(campaign))
        db.session.flush()
        record(actor(user), "campaign.created", f"campaign:{campaign.id}", slug=campaign.slug)
        return campaign
    raise SlugTaken("Please choose another title.")


def update(campaign: Campaign, draft: CampaignDraft) -> None:
    """Save an organizer's changes to a draft; a new slug must be free."""
    _require_draft(campaign)
    _apply(campaign, draft)
    if draft.slug and draft.slug != campaign.slug:
        campaign.slug = draft.slug
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            raise SlugTaken("Another campaign already has this address.") from None
    db.session.flush()
    campaigns.forget_views()


def _require_draft(campaign: Campaign) -> None:
    """Raise LifecycleError unless organizers may still change what the campaign shows."""
    if not lifecycle.is_editable(campaign):
        raise lifecycle.LifecycleError(
            gettext("Only a draft can be edited: staff approved what the public sees.")
        )


def _apply(campaign: Campaign, draft: CampaignDraft) -> None:
    """Copy the form's values onto the campaign."""
    campaign.title = draft.title.strip()
    campaign.summary = draft.summary.strip()
    campaign.body_markdown = draft.body_markdown
    campaign.goal = draft.goal
    campaign.closes_at = draft.closes_at
    campaign.language = draft.language
    campaign.share_text = draft.share_text.strip()
    campaign.decision_maker = draft.decision_maker.strip()


def _default_letter_settings(campaign: Campaign) -> LetterCampaign:
    """Letter settings to start from: the title as subject, routed to the signer's officials."""
    return LetterCampaign(
        campaign=campaign,
        subject_template=campaign.title[:300],
        body_template=DEFAULT_LETTER_BODY,
        targeting=Targeting.ROUTED,
    )


def replace_image(campaign: Campaign, image: images.CleanImage, user: User, alt: str = "") -> str | None:
    """Store a new image for a draft, with what it shows (its alt text); return the old file's name,
    to delete after the commit."""
    _require_draft(campaign)
    old = campaign.image_name
    campaign.image_name = images.store(image)
    campaign.image_width, campaign.image_height = image.width, image.height
    campaign.image_alt = alt.strip() or None
    db.session.flush()
    record(actor(user), "campaign.image_changed", f"campaign:{campaign.id}", image=campaign.image_name)
    campaigns.forget_views()
    return old


def remove_image(campaign: Campaign, user: User) -> str | None:
    """Take the image off a draft; return the file's name, to delete after the commit."""
    _require_draft(campaign)
    old = campaign.image_name
    if old is None:
        return None
    campaign.image_name = campaign.image_width = campaign.image_height = campaign.image_alt = None
    db.session.flush()
    record(actor(user), "campaign.image_removed", f"campaign:{campaign.id}")
    campaigns.forget_views()
    return old


def campaign_of_image(name: str) -> Campaign | None:
    """The campaign showing the image with this name."""
    return db.session.execute(select(Campaign).where(Campaign.image_name == name)).scalar_one_or_none()


def may_see_image(user: User | None, campaign: Campaign) -> bool:
    """Anyone sees the image of a public campaign; members and staff see it before and after."""
    if campaign.status in PUBLIC_STATUSES:
        return True
    if user is None:
        return False
    return may_manage(user, campaign)
