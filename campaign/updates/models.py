"""Updates organizers send to their signers, what each signer was sent, and who asked for no more."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from campaign import clock
from campaign.campaigns.models import _enum
from campaign.extensions import db


class UpdateStatus(enum.StrEnum):
    """Where an update is: being written, being queued for its signers, or queued for all of them."""

    DRAFT = "draft"
    SENDING = "sending"
    SENT = "sent"


class Update(db.Model):  # type: ignore[name-defined]
    """One message from a campaign's organizers to the signers who agreed to hear from it."""

    __tablename__ = "updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text)
    status: Mapped[UpdateStatus] = mapped_column(
        _enum(UpdateStatus, "update_status"), default=UpdateStatus.DRAFT
    )
    # Signers validated by this moment receive it: the list is fixed when sending starts.
    recipients_as_of: Mapped[datetime | None]
    total_recipients: Mapped[int | None]
    queued_count: Mapped[int] = mapped_column(default=0)
    # Keyset cursor: every signer with a smaller person id has been queued.
    last_person_id: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    finished_at: Mapped[datetime | None]

    @property
    def progress(self) -> int:
        """How far queueing is, 0 to 100."""
        if self.status == UpdateStatus.SENT:
            return 100
        if not self.total_recipients:
            return 0
        return min(99, self.queued_count * 100 // self.total_recipients)


class UpdateMessage(db.Model):  # type: ignore[name-defined]
    """The outbox row carrying one update to one signer: one per pair, however often queueing runs."""

    __tablename__ = "update_messages"

    update_id: Mapped[int] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))


class Unsubscribe(db.Model):  # type: ignore[name-defined]
    """A person who asked for no more updates from a campaign."""

    __tablename__ = "update_unsubscribes"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
