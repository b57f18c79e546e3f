"""The outbox: every message the platform owes, written in the transaction that owes it; and the
addresses no more mail goes to (campaign.mail.bounces)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from campaign import clock
from campaign.campaigns.models import _enum
from campaign.extensions import db


class OutboxStatus(enum.StrEnum):
    """Where a message is on its way out."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):  # type: ignore[name-defined]
    """One email owed to one recipient, sent at most once."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The sweep looks only at what is still owed.
        Index(
            "ix_outbox_owed",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'sending')"),
            sqlite_where=text("status IN ('pending', 'sending')"),
        ),
        # How much mail one address was owed lately, across campaigns and kinds.
        Index("ix_outbox_recipient_index_created_at", "recipient_index", "created_at"),
        # A bounce that lost its return path is matched by the address it names (campaign.mail.bounces).
        Index("ix_outbox_sent_to_index", "sent_to_index"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # Whatever owes the message names it; a second row for the same purpose
    # is refused by this key, so retries and repeats never send twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    # No address, subject or body in clear: either what the message is about
    # (a signature, a letter), from which its kind's composer writes it when it
    # is sent, or the message written in advance and sealed. Cleared once sent.
    ref_id: Mapped[int | None]
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Keyed hash of the recipient's canonical address (mail to supporters,
    # invitations, resets): what bounds the mail one address can be sent.
    recipient_index: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    claimed_at: Mapped[datetime | None]
    # While sending: the key of the claim lock its pump holds for the batch it
    # claimed it in (campaign.claims).
    claim_key: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Keyed hash of the address it was sent to (set when sent), by which a later bounce or
    # complaint suppresses it; and when such a report about this message was acted on.
    sent_to_index: Mapped[str | None] = mapped_column(String(64))
    bounced_at: Mapped[datetime | None]


class SuppressionReason(enum.StrEnum):
    """Why an address is suppressed."""

    HARD_BOUNCE = "hard_bounce"  # nothing more is sent to it
    # Only what a kind sends despite a stop goes to it (campaign.mail.suppressions):
    COMPLAINT = "complaint"  # its owner reported our mail as spam
    STOPPED = "stopped"  # its owner stopped all email to it


class MailSuppression(db.Model):  # type: ignore[name-defined]
    """An address that bounced for good, or whose owner stopped all email or called it spam: known by
    its keyed hash, kept when the person is erased."""

    __tablename__ = "mail_suppressions"

    recipient_index: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[SuppressionReason] = mapped_column(
        _enum(SuppressionReason, "suppression_reason"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
