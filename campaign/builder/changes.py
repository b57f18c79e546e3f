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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from campaign import clock, i18n, labels
from campaign.accounts import service as accounts
from campaign.accounts.models import ChangeReview, MemberRole, Membership, Organization, User
from campaign.accounts.organizations import membership
from campaign.audit.service import record
from campaign.builder import letters, lifecycle
from campaign.builder.models import ChangeKind, ChangeRequest, ChangeStatus
from campaign.campaigns import translations
from campaign.campaigns.models import Campaign, CampaignStatus, OutcomeKind
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.updates import service as updates
from campaign.updates.models import Update, UpdateStatus

NOTICE_KIND = "change_proposed"
KIND_LABELS = labels.CHANGE_KINDS


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


def propose(
    campaign: Campaign, user: User, kind: ChangeKind, payload: dict[str, Any], draft: Update | None = None
) -> ChangeRequest:
    """Record a change; apply it at once for an owner or staff with a fresh second factor, else keep it."""
    _check_possible(campaign, kind, draft)
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
    record(
        actor(user),
        "change.proposed",
        f"campaign:{campaign.id}",
        change=change.id,
        kind=str(kind),
        review_by=str(review_by),
    )
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
    _decide(change, user, ChangeStatus.APPROVED)
    campaign = db.session.get_one(Campaign, change.campaign_id)
    try:
        _apply(change, campaign, user)
    except lifecycle.LifecycleError as problem:
        raise ChangeError(str(problem)) from None
    record(actor(user), "change.approved", f"campaign:{campaign.id}", change=change.id, kind=str(change.kind))


def reject(change: ChangeRequest, user: User, reason: str) -> None:
    """Refuse a waiting change, with the reason; nothing it proposed is applied."""
    if not may_decide(user, change):
        raise PermissionError("not allowed to decide this change")
    _decide(change, user, ChangeStatus.REJECTED, reason)
    record(
        actor(user),
        "change.rejected",
        f"campaign:{change.campaign_id}",
        change=change.id,
        kind=str(change.kind),
        reason=reason,
    )


def withdraw(change: ChangeRequest, user: User) -> None:
    """Take back one's own waiting change."""
    if change.proposed_by_id != user.id:
        raise PermissionError("only its author withdraws a change")
    _decide(change, user, ChangeStatus.WITHDRAWN)
    record(
        actor(user),
        "change.withdrawn",
        f"campaign:{change.campaign_id}",
        change=change.id,
        kind=str(change.kind),
    )


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
    record(
        actor(user),
        "change.withdrawn",
        f"campaign:{campaign.id}",
        change=waiting.id,
        kind=str(waiting.kind),
        replaced=True,
    )


def _check_possible(campaign: Campaign, kind: ChangeKind, draft: Update | None) -> None:
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


def _apply(change: ChangeRequest, campaign: Campaign, user: User) -> None:
    """Do what an approved change says, recorded under the approver's name."""
    payload = change.payload
    subject = f"campaign:{campaign.id}"
    if change.kind == ChangeKind.OUTCOME:
        _publish_outcome(campaign, OutcomeKind(payload["kind"]), payload["text"], change, user)
    elif change.kind == ChangeKind.TEXT:
        lifecycle.revise(campaign, payload["title"], payload["summary"], payload["body_markdown"])
        record(actor(user), "campaign.text_changed", subject, change=change.id)
    elif change.kind == ChangeKind.LETTER:
        letters.revise(campaign, payload["subject_template"], payload["body_template"])
        record(actor(user), "campaign.letter_changed", subject, change=change.id)
    elif change.kind == ChangeKind.TRANSLATION:
        try:
            translations.save(
                campaign, payload["language"], translations.TranslationDraft.of_payload(payload)
            )
        except translations.TranslationError as problem:
            raise ChangeError(str(problem)) from None
        record(
            actor(user),
            "campaign.translation_changed",
            subject,
            change=change.id,
            language=payload["language"],
        )
    elif change.kind == ChangeKind.UPDATE:
        _send_update(change)
    elif change.kind == ChangeKind.CLOSE:
        lifecycle.close(campaign)
        record(actor(user), "campaign.closed", subject)


def _publish_outcome(
    campaign: Campaign, kind: OutcomeKind, text: str, change: ChangeRequest, user: User
) -> None:
    """Publish the outcome on the page; the first one is also emailed to the signers who opted in."""
    is_first = campaign.outcome_at is None
    published = lifecycle.publish_outcome(campaign, kind, text)
    record(actor(user), "campaign.outcome_published", f"campaign:{campaign.id}", kind=str(kind))
    if is_first:
        # The signers who opted in hear of the outcome once; a correction only changes the page.
        author = db.session.get(User, change.proposed_by_id) if change.proposed_by_id else None
        # Its subject is stored once for every signer: written in the campaign's own language.
        with force_locale(i18n.supported(campaign.language) or i18n.DEFAULT_LANGUAGE):
            subject = f"{published.heading}: {campaign.title}"
        updates.announce(campaign, subject, published.text_markdown, author)


def _send_update(change: ChangeRequest) -> None:
    """Start sending the approved update, exactly as it was when proposed."""
    draft = db.session.get(Update, change.update_id) if change.update_id else None
    if draft is None or (draft.subject, draft.body_markdown) != (
        change.payload.get("subject"),
        change.payload.get("body_markdown"),
    ):
        raise ChangeError(gettext("The update is not the one proposed any more; propose it again."))
    if not updates.start_sending(draft):
        raise ChangeError(gettext("This update is already being sent."))


def _tell_owners(campaign: Campaign, change: ChangeRequest, author: User) -> None:
    """Email the organization's owners that a change waits for one of them (once an hour per kind)."""
    owners = db.session.execute(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organization_id == campaign.organization_id,
            Membership.role == MemberRole.OWNER,
            User.is_active.is_(True),
        )
        .order_by(User.id)
    ).scalars()
    # A member proposing again and again must not flood the owners' inboxes.
    hour = clock.now().strftime("%Y%m%d%H")
    for owner in owners:
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


def change_of(campaign: Campaign, change_id: int) -> ChangeRequest | None:
    """A change of this campaign, by id."""
    found = db.session.get(ChangeRequest, change_id)
    return found if found is not None and found.campaign_id == campaign.id else None


def waiting_for(campaign_id: int) -> Sequence[ChangeRequest]:
    """The campaign's changes waiting for a decision, oldest first."""
    return (
        db.session.execute(
            select(ChangeRequest)
            .where(ChangeRequest.campaign_id == campaign_id, ChangeRequest.status == ChangeStatus.PENDING)
            .order_by(ChangeRequest.id)
        )
        .scalars()
        .all()
    )


def history_of(campaign_id: int, limit: int = 50) -> Sequence[ChangeRequest]:
    """The campaign's changes, newest first."""
    return (
        db.session.execute(
            select(ChangeRequest)
            .where(ChangeRequest.campaign_id == campaign_id)
            .order_by(ChangeRequest.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )


def waiting_update(update_id: int) -> ChangeRequest | None:
    """The change that would send this update, while it waits."""
    return db.session.execute(
        select(ChangeRequest).where(
            ChangeRequest.update_id == update_id, ChangeRequest.status == ChangeStatus.PENDING
        )
    ).scalar_one_or_none()


def staff_queue(limit: int = 200) -> Sequence[ChangeRequest]:
    """The changes waiting for staff, the longest waiting first."""
    return (
        db.session.execute(
            select(ChangeRequest)
            .where(
                ChangeRequest.status == ChangeStatus.PENDING, ChangeRequest.review_by == ChangeReview.STAFF
            )
            .order_by(ChangeRequest.created_at, ChangeRequest.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )


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
