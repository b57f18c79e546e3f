"""Changes to a campaign after staff approved it: proposed, kept, then approved (and applied) or rejected.

An outcome, a new title, summary or text, new words for the letters, an
update to the signers and closing the campaign are changes. The rules:

- An owner of the campaign's organization (or staff) who gave their second
  factor within CHANGE_TWO_FACTOR_SECONDS changes it at once. Without that
  second factor the change is kept until they give it and approve it.
- A member who is not an owner proposes: the change is kept, not applied,
  until one of the organization's owners approves it, or staff do, as the
  organization chose (`Organization.change_review`). Approving asks the
  approver for a fresh second factor too.
- Until then nothing the public or the signers see moves: the page, the
  letters and the mail change only when the change is applied.

Every proposal, approval, rejection and withdrawal is in the audit log.

Who may do what is in campaign.builder.change_rules, what an approved change
does in campaign.builder.change_effects, and finding changes in
campaign.builder.change_queries.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import gettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from campaign import clock, labels
from campaign.accounts.models import ChangeReview, MemberRole, Organization, User
from campaign.audit.service import record
from campaign.builder import change_effects, lifecycle
from campaign.builder.change_rules import (
    ChangeError,
    NeedsTwoFactor,
    actor,
    check_letter_fits,
    check_possible,
    has_fresh_two_factor,
    is_owner,
    is_trusted,
    may_decide,
    review_of,
)
from campaign.builder.models import ChangeKind, ChangeRequest, ChangeStatus
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.updates.models import Update

NOTICE_KIND = "change_proposed"
KIND_LABELS = labels.CHANGE_KINDS


def propose(
    campaign: Campaign, user: User, kind: ChangeKind, payload: dict[str, Any], draft: Update | None = None
) -> ChangeRequest:
    """Record a change; apply it at once for an owner or staff with a fresh second factor, else keep it."""
    check_possible(campaign, kind, draft)
    check_letter_fits(campaign, kind, payload)
    is_trusted_user = is_trusted(user, campaign)
    if is_owner(user, campaign):
        review_by = ChangeReview.OWNER  # their own, waiting at most for their second factor
    elif user.is_staff:
        review_by = ChangeReview.STAFF
    else:
        review_by = review_of(campaign)
    key = f"update:{draft.id}" if draft is not None else str(kind)
    if kind == ChangeKind.TRANSLATION:
        key = f"translation:{payload['language']}"  # one waiting translation per language
    _replace_waiting(campaign, key, user)
    change = ChangeRequest(
        campaign_id=campaign.id,
        kind=kind,
        status=ChangeStatus.PENDING,
        review_by=review_by,
        pending_key=key,
        update_id=draft.id if draft is not None else None,
        payload=payload,
        proposed_by_id=user.id,
        created_at=clock.now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(change)
    except IntegrityError:
        raise ChangeError(
            gettext("Another change of this kind was proposed at the same moment; try again.")
        ) from None
    _record(user, "change.proposed", change, review_by=str(review_by))
    if is_trusted_user and has_fresh_two_factor():
        approve(change, user)
    elif not is_trusted_user and review_by == ChangeReview.OWNER:
        _tell_owners(campaign, change, user)
    return change


def approve(change: ChangeRequest, user: User) -> None:
    """Approve a waiting change and apply it; the approver needs a fresh second factor."""
    if not may_decide(user, change):
        raise PermissionError("not allowed to decide this change")
    if not has_fresh_two_factor():
        raise NeedsTwoFactor
    campaign = db.session.get_one(Campaign, change.campaign_id)
    # A change kept from before the limit was checked is refused, not applied.
    check_letter_fits(campaign, change.kind, change.payload)
    _decide(change, user, ChangeStatus.APPROVED)
    try:
        change_effects.apply(change, campaign, user)
    except lifecycle.LifecycleError as problem:
        raise ChangeError(str(problem)) from None
    _record(user, "change.approved", change)


def reject(change: ChangeRequest, user: User, reason: str) -> None:
    """Refuse a waiting change, with the reason; nothing it proposed is applied."""
    if not may_decide(user, change):
        raise PermissionError("not allowed to decide this change")
    _decide(change, user, ChangeStatus.REJECTED, reason)
    _record(user, "change.rejected", change, reason=reason)


def withdraw(change: ChangeRequest, user: User) -> None:
    """Take back one's own waiting change."""
    if change.proposed_by_id != user.id:
        raise PermissionError("only its author withdraws a change")
    _decide(change, user, ChangeStatus.WITHDRAWN)
    _record(user, "change.withdrawn", change)


def _decide(change: ChangeRequest, user: User, status: ChangeStatus, reason: str | None = None) -> None:
    """Move a waiting change to its decision, once: two approvers at the same moment apply it once."""
    decided = db.session.execute(
        update(ChangeRequest)
        .where(ChangeRequest.id == change.id, ChangeRequest.status == ChangeStatus.PENDING)
        .values(
            status=status,
            pending_key=None,
            decided_by_id=user.id,
            decided_at=clock.now(),
            decision_reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    if not getattr(decided, "rowcount", 0):
        raise ChangeError(gettext("This change was already decided."))
    db.session.refresh(change)


def _replace_waiting(campaign: Campaign, key: str, user: User) -> None:
    """Withdraw the change of the same kind still waiting: the newer proposal replaces it."""
    waiting = db.session.execute(
        select(ChangeRequest).where(
            ChangeRequest.campaign_id == campaign.id, ChangeRequest.pending_key == key
        )
    ).scalar_one_or_none()
    if waiting is None:
        return
    _decide(waiting, user, ChangeStatus.WITHDRAWN, "Replaced by a newer proposal.")
    _record(user, "change.withdrawn", waiting, replaced=True)


def _record(user: User, action: str, change: ChangeRequest, **details: Any) -> None:
    """Audit what became of a change, under the user's name, on the change's campaign."""
    subject = f"campaign:{change.campaign_id}"
    record(actor(user), action, subject, change=change.id, kind=str(change.kind), **details)


def _tell_owners(campaign: Campaign, change: ChangeRequest, author: User) -> None:
    """Email the organization's owners that a change waits for one of them (once an hour per kind)."""
    organization = db.session.get_one(Organization, campaign.organization_id)
    owners = sorted(
        (member.user for member in organization.memberships if member.role == MemberRole.OWNER),
        key=lambda owner: owner.id,
    )
    # A member proposing again and again must not flood the owners' inboxes.
    hour = clock.now().strftime("%Y%m%d%H")
    for owner in owners:
        if not owner.is_active:
            continue
        mail.write(
            kind=NOTICE_KIND,
            dedupe_key=f"change-proposed:{campaign.id}:{change.kind}:{owner.id}:{hour}",
            recipient=owner.email,
            subject=gettext("A change to %(title)s waits for your approval", title=campaign.title),
            body=render_template(
                "builder/mail/change_proposed.txt",
                campaign=campaign,
                author=author,
                what=KIND_LABELS[change.kind],
                link=absolute_url("builder.change", campaign_id=campaign.id, change_id=change.id),
            ),
        )
