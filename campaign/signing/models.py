"""People and their signatures."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign import clock
from campaign.campaigns.models import Campaign, _enum
from campaign.extensions import db


class Person(db.Model):  # type: ignore[name-defined]
    """Someone who signed, known by one canonical email address."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    canonical_email: Mapped[str] = mapped_column(String(320), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class SignatureStatus(enum.StrEnum):
    """Pending until the email is confirmed; only validated signatures count."""

    PENDING = "pending"
    VALIDATED = "validated"
    INVALIDATED = "invalidated"


class Signature(db.Model):  # type: ignore[name-defined]
    """One person's signature on one campaign."""

    __tablename__ = "signatures"
    __table_args__ = (
        # The database, not a SELECT, makes a second signature impossible.
        UniqueConstraint("campaign_id", "person_id"),
        # Rows the counter has not folded in yet: validated and uncounted, or
        # counted and no longer validated. Small, so folding costs what is new.
        Index(
            "ix_signatures_to_fold",
            "campaign_id",
            postgresql_where=text("(status = 'validated') <> is_counted"),
            sqlite_where=text("(status = 'validated') <> is_counted"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    status: Mapped[SignatureStatus] = mapped_column(
        _enum(SignatureStatus, "signature_status"), default=SignatureStatus.PENDING
    )
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(String(2))
    postal_code: Mapped[str] = mapped_column(String(16), default="")
    region: Mapped[str | None] = mapped_column(String(8))
    comment: Mapped[str | None] = mapped_column(Text)
    is_comment_public: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str | None] = mapped_column(Text)
    has_email_opt_in: Mapped[bool] = mapped_column(default=False)
    consent_version: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(64))
    # HMAC of the client address under a server key: enough to spot a burst
    # from one address, useless to whoever steals a dump without the key.
    client_hash: Mapped[str] = mapped_column(String(64))
    is_counted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    validated_at: Mapped[datetime | None]
    invalidated_at: Mapped[datetime | None]

    campaign: Mapped[Campaign] = relationship()
    person: Mapped[Person] = relationship()
