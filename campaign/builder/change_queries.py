"""Finding changes: one of a campaign's, those waiting for a decision, a campaign's history."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from campaign.accounts.models import ChangeReview
from campaign.builder.models import ChangeRequest, ChangeStatus
from campaign.campaigns.models import Campaign
from campaign.extensions import db


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
