"""The rules of changes to an approved campaign: who may make them, who decides, what may change now.

An owner of the campaign's organization, or staff, changes it at once with a
fresh second factor; a member's change waits for whoever the organization
chose (`Organization.change_review`). See campaign.builder.changes.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext

from campaign.accounts import sessions as accounts
from campaign.accounts.models import ChangeReview, MemberRole, Organization, User
from campaign.accounts.organizations import membership
from campaign.audit.service import record
from campaign.builder import letters, lifecycle
from campaign.builder.models import ChangeKind, ChangeRequest
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.extensions import db
from campaign.updates.models import Update, UpdateStatus


class ChangeError(Exception):
    """The change cannot be proposed or decided as asked; the message says why."""


class NeedsTwoFactor(Exception):
    """The user must give their second factor (again) before this takes effect."""


def actor(user: User) -> str:
    """How the audit log names a signed-in user."""
    return f"user:{user.id}"


def is_owner(user: User, campaign: Campaign) -> bool:
    """Tell whether the user is an owner of the organization running the campaign."""
    if campaign.organization_id is None:
        return False
    found = membership(user, campaign.organization_id)
    return found is not None and found.role == MemberRole.OWNER


def is_trusted(user: User, campaign: Campaign) -> bool:
    """Owners and staff change an approved campaign themselves (with a fresh second factor)."""
    return user.is_staff or is_owner(user, campaign)


def review_of(campaign: Campaign) -> ChangeReview:
    """Who approves a member's changes to this campaign, as its organization chose."""
    if campaign.organization_id is None:
        return ChangeReview.STAFF
    return db.session.get_one(Organization, campaign.organization_id).change_review


def has_fresh_two_factor() -> bool:
    """Tell whether the signed-in user gave their second factor recently enough to change a campaign."""
    return accounts.has_fresh_two_factor(current_app.config["CHANGE_TWO_FACTOR_SECONDS"])


def may_decide(user: User, change: ChangeRequest) -> bool:
    """Tell whether the user may approve or reject the change (staff for staff review, else an owner)."""
    if change.review_by == ChangeReview.STAFF:
        return user.is_staff
    return is_owner(user, db.session.get_one(Campaign, change.campaign_id))


def check_possible(campaign: Campaign, kind: ChangeKind, draft: Update | None) -> None:
    """Raise LifecycleError or ChangeError if the campaign cannot take this change now."""
    if kind == ChangeKind.UPDATE:
        if draft is None or draft.campaign_id != campaign.id:
            raise ChangeError(gettext("There is no such update."))
        if draft.status != UpdateStatus.DRAFT:
            raise ChangeError(gettext("This update is already being sent."))
        return
    if kind == ChangeKind.CLOSE and campaign.status != CampaignStatus.OPEN:
        raise lifecycle.LifecycleError(gettext("Only an open campaign can be closed."))
    if kind == ChangeKind.OUTCOME and lifecycle.stage_of(campaign) not in (
        lifecycle.Stage.OPEN,
        lifecycle.Stage.CLOSED,
    ):
        raise lifecycle.LifecycleError(
            gettext("An outcome can be published only on a campaign the public can see.")
        )
    if kind in (ChangeKind.TEXT, ChangeKind.LETTER, ChangeKind.TRANSLATION) and not lifecycle.is_public(
        campaign
    ):
        raise lifecycle.LifecycleError(gettext("Only a campaign the public can see is revised this way."))


def check_letter_fits(campaign: Campaign, kind: ChangeKind, payload: dict[str, Any]) -> None:
    """Raise ChangeError if a change's letter is too long for signers who may edit the whole letter."""
    name = {ChangeKind.LETTER: "body_template", ChangeKind.TRANSLATION: "letter_body"}.get(kind)
    settings = letters.settings_or_none(campaign) if name and campaign.is_letter else None
    if name is None or settings is None:
        return
    problem = letters.whole_letter_problem(payload.get(name) or "", settings.signers_may_edit_letter)
    if problem:
        raise ChangeError(problem)


def set_review(organization: Organization, review: ChangeReview, user: User) -> None:
    """Choose who approves members' changes; an owner's (or staff's) choice, with a fresh second factor."""
    if not has_fresh_two_factor():
        raise NeedsTwoFactor
    previous = organization.change_review
    organization.change_review = review
    record(
        actor(user),
        "organization.change_review",
        f"organization:{organization.id}",
        review=str(review),
        previous=str(previous),
    )
