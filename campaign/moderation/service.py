"""Staff decisions on campaigns: approve, reject with a reason emailed, take down; each one audited.

Staff also decide the changes to approved campaigns that organizations sent
to staff review (campaign.builder.changes keeps and applies them).
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import render_template
from flask_babel import gettext
from sqlalchemy import select

from campaign import i18n
from campaign.accounts.models import Organization, User
from campaign.audit.models import AuditEvent
from campaign.audit.service import record
from campaign.builder import change_queries, lifecycle
from campaign.builder.models import ChangeRequest
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.targets import service as targets


def actor(user: User) -> str:
    """How the audit log names a staff member."""
    return f"user:{user.id}"


def organization_of(campaign: Campaign) -> Organization | None:
    """The organization running the campaign, if any."""
    return db.session.get(Organization, campaign.organization_id) if campaign.organization_id else None


def review_queue() -> Sequence[Campaign]:
    """The campaigns waiting for review, the longest waiting first."""
    return (
        db.session.execute(
            select(Campaign)
            .where(Campaign.status == CampaignStatus.IN_REVIEW)
            .order_by(Campaign.submitted_at, Campaign.id)
        )
        .scalars()
        .all()
    )


def public_campaigns(limit: int = 100) -> Sequence[Campaign]:
    """The campaigns the public can see, newest first: the ones staff may take down."""
    return (
        db.session.execute(
            select(Campaign)
            .where(Campaign.status.in_([CampaignStatus.OPEN, CampaignStatus.CLOSED]))
            .order_by(Campaign.approved_at.desc().nulls_last(), Campaign.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )


def change_queue() -> Sequence[ChangeRequest]:
    """The changes to approved campaigns waiting for staff, the longest waiting first."""
    return change_queries.staff_queue()


def waiting_changes(campaign: Campaign) -> Sequence[ChangeRequest]:
    """The campaign's changes waiting for a decision (by staff or by its owners)."""
    return change_queries.waiting_for(campaign.id)


def history(campaign: Campaign) -> Sequence[AuditEvent]:
    """What was recorded about the campaign, oldest first."""
    return (
        db.session.execute(
            select(AuditEvent).where(AuditEvent.subject == f"campaign:{campaign.id}").order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )


def approve(campaign: Campaign, staff: User) -> None:
    """Open a campaign in review, and record who did."""
    lifecycle.approve(campaign)
    record(actor(staff), "campaign.approved", f"campaign:{campaign.id}", slug=campaign.slug)


def reject(campaign: Campaign, staff: User, reason: str) -> int | None:
    """Send a campaign back to its organizers with the reason, by email to who submitted it; record it."""
    lifecycle.reject(campaign, reason)
    event = record(actor(staff), "campaign.rejected", f"campaign:{campaign.id}", reason=reason)
    return _tell_organizer(campaign, reason, event.id)


def take_down(campaign: Campaign, staff: User, reason: str) -> None:
    """Hide a public campaign, keeping the reason on the campaign and in the audit log."""
    lifecycle.take_down(campaign, reason)
    # Letters still waiting for their official's slot are not sent in its name.
    stopped = targets.stop_letters(campaign.id, "not sent: the campaign was taken down")
    details = {"letters_stopped": stopped} if stopped else {}
    record(actor(staff), "campaign.taken_down", f"campaign:{campaign.id}", reason=reason, **details)


def _tell_organizer(campaign: Campaign, reason: str, event_id: int) -> int | None:
    """Queue the rejection email to the submitting user (or the campaign's contact address)."""
    submitter = db.session.get(User, campaign.submitted_by_id) if campaign.submitted_by_id else None
    recipient = submitter.email if submitter is not None and submitter.is_active else campaign.contact_email
    if not recipient:
        return None
    # Written in the campaign's language, the one its organizers wrote it in, not the reviewer's.
    with i18n.writing_in(campaign.language):
        return _write_rejection(campaign, recipient, reason, event_id)


def _write_rejection(campaign: Campaign, recipient: str, reason: str, event_id: int) -> int | None:
    """Owe the rejection email, in the current language."""
    organization = organization_of(campaign)
    body = render_template(
        "moderation/mail/rejected.txt",
        campaign=campaign,
        organization=organization,
        reason=reason,
        edit_url=absolute_url("builder.show", campaign_id=campaign.id),
    )
    return mail.write(
        kind="campaign_rejected",
        dedupe_key=f"campaign-rejected:{event_id}",
        recipient=recipient,
        subject=gettext("Your campaign needs changes: %(title)s", title=campaign.title),
        body=body,
    )
