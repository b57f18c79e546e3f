"""Changes proposed to a campaign after staff approved it, kept (not applied) until someone approves them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from campaign import clock
from campaign.accounts.models import ChangeReview
from campaign.campaigns.models import _enum
from campaign.extensions import db


class ChangeKind(enum.StrEnum):
    """What a change does once approved."""

    OUTCOME = "outcome"  # publish or correct the outcome (the first one is emailed to signers)
    TEXT = "text"  # the title, summary and text of the page
    LETTER = "letter"  # the subject and text of the letters to officials
    UPDATE = "update"  # email an update to the signers who opted in
    CLOSE = "close"  # stop taking signatures
    TRANSLATION = "translation"  # add or replace the campaign's words in another language


class ChangeStatus(enum.StrEnum):
    """Where a change is: waiting, applied, refused, or taken back (or replaced) by its author."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class ChangeRequest(db.Model):  # type: ignore[name-defined]
    """One proposed change to a public campaign, with what it would do and who decided."""

    __tablename__ = "change_requests"
    # One change of each kind (one per update) waits at a time: a second
    # proposal replaces the first, so an approval never applies a stale text.
    __table_args__ = (UniqueConstraint("campaign_id", "pending_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ChangeKind] = mapped_column(_enum(ChangeKind, "change_kind"))
    status: Mapped[ChangeStatus] = mapped_column(
        _enum(ChangeStatus, "change_status"), default=ChangeStatus.PENDING, index=True
    )
    # Who may approve it, fixed when it was proposed: an owner, or staff.
    review_by: Mapped[ChangeReview] = mapped_column(_enum(ChangeReview, "change_review_by"))
    # The kind (or "update:<id>") while pending, None once decided (NULLs never collide).
    pending_key: Mapped[str | None] = mapped_column(String(40))
    update_id: Mapped[int | None] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"), index=True)
    # What the change would write: the outcome's kind and text, the new title, summary and text, ...
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(2000))

    @property
    def is_pending(self) -> bool:
        """Tell whether it still waits for a decision."""
        return self.status == ChangeStatus.PENDING
