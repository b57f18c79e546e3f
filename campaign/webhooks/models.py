"""An organization's webhook endpoints, and the deliveries owed to them (the webhooks' outbox)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign import clock
from campaign.campaigns.models import _enum
from campaign.extensions import db

# The events an endpoint may ask for (the `type` of a delivered event).
SIGNATURE_ADDED = "signature.added"
SIGNATURE_CONFIRMED = "signature.confirmed"
SIGNATURE_WITHDRAWN = "signature.withdrawn"
OUTREACH_SENT = "outreach.sent"
EVENTS = (SIGNATURE_ADDED, SIGNATURE_CONFIRMED, SIGNATURE_WITHDRAWN, OUTREACH_SENT)


class WebhookEndpoint(db.Model):  # type: ignore[name-defined]
    """One URL an organization wants events posted to, with the secret that signs them."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    # The events it wants, space-separated (EVENTS).
    events: Mapped[str] = mapped_column(String(200))
    # The signing secret, sealed (campaign.privacy.vault): the web tier writes it, only the
    # worker that sends can read it back; the owner sees it once, when it is made.
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # Its last four characters, so an owner can tell which secret a receiver holds.
    secret_hint: Mapped[str] = mapped_column(String(8))
    secret_created_at: Mapped[datetime] = mapped_column(default=clock.now)
    is_enabled: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    # Failed attempts since the last success, and when the first of them was.
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    failing_since: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    @property
    def event_list(self) -> list[str]:
        """The events it wants, in the order of EVENTS."""
        wanted = set(self.events.split())
        return [event for event in EVENTS if event in wanted]


class DeliveryStatus(enum.StrEnum):
    """Where a delivery is on its way out."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(db.Model):  # type: ignore[name-defined]
    """One event owed to one endpoint, delivered at most once.

    It holds no payload: the worker (which holds the keys) writes it from the
    signature when it sends, so nothing of it is kept after delivery.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # One event about one signature, once per endpoint: a repeat emit writes nothing.
        UniqueConstraint("endpoint_id", "event", "ref_id"),
        # The pump and the sweep look only at what is still owed.
        Index(
            "ix_webhook_deliveries_owed",
            "next_attempt_at",
            postgresql_where=text("status IN ('pending', 'sending')"),
            sqlite_where=text("status IN ('pending', 'sending')"),
        ),
        # The delivery log of an endpoint, newest first.
        Index("ix_webhook_deliveries_endpoint_id_created_at", "endpoint_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    # The signature the event is about (no foreign key: an unconfirmed one may be deleted on
    # schedule before its event leaves; the event then carries ids and links only).
    ref_id: Mapped[int]
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        _enum(DeliveryStatus, "webhook_delivery_status"), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    claimed_at: Mapped[datetime | None]
    # While sending: the claim lock's key of the pump that claimed it (campaign.claims).
    claim_key: Mapped[int | None]
    response_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    occurred_at: Mapped[datetime] = mapped_column(default=clock.now)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    endpoint: Mapped[WebhookEndpoint] = relationship()
