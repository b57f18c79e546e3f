"""Fraud review: the hourly trending report and staff's bulk invalidations."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign import clock
from campaign.campaigns.models import _enum
from campaign.extensions import db


class TrendingKind(enum.StrEnum):
    """What a trending group has in common: the client's address range, or the email's domain."""

    RANGE = "range"
    DOMAIN = "domain"


class TrendingReport(db.Model):  # type: ignore[name-defined]
    """One hour's groups of signatures over the threshold; deleted after TRENDING_REPORT_DAYS."""

    __tablename__ = "trending_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One report per hour: the unique window makes a second run of the task a no-op.
    window_starts_at: Mapped[datetime] = mapped_column(unique=True)
    window_ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)

    groups: Mapped[list[TrendingGroup]] = relationship(
        back_populates="report",
        cascade="all, delete-orphan",
        passive_deletes=True,
        # Written in the order the report shows them: all campaigns first, the largest first.
        order_by="TrendingGroup.id",
    )


class TrendingGroup(db.Model):  # type: ignore[name-defined]
    """Signatures of one hour sharing an address range or an email domain, on one campaign or on all."""

    __tablename__ = "trending_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("trending_reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TrendingKind] = mapped_column(_enum(TrendingKind, "trending_kind"))
    # None: the group counts the signatures of every campaign.
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # The keyed hash the signatures share (Signature.client_range_hash or email_domain_index).
    key_hash: Mapped[str] = mapped_column(String(64))
    # The range ("203.0.113.0/24") or domain ("example.org") in clear, opened by the worker
    # from one of the group's rows; None if none of them held it any more.
    label: Mapped[str | None] = mapped_column(String(255))
    signatures: Mapped[int]
    # How many of them a flood rule had already marked fraudulent.
    fraudulent: Mapped[int] = mapped_column(default=0)

    report: Mapped[TrendingReport] = relationship(back_populates="groups")


class InvalidationStatus(enum.StrEnum):
    """Where a bulk invalidation is: counted first (the dry run), then run on staff's word."""

    COUNTING = "counting"
    COUNTED = "counted"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class InvalidationJob(db.Model):  # type: ignore[name-defined]
    """Staff's invalidation of the signatures matching some criteria: a dry-run count, then the run."""

    __tablename__ = "invalidation_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "user:42" or "cli:root"; user_id lets the page show staff their own jobs.
    requested_by: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(index=True)
    # Who pressed "invalidate" after the count (the audit log names them too).
    started_by: Mapped[str | None] = mapped_column(String(120))
    # The criteria as staff gave them, with the keyed hashes the web tier made of range and domain.
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[InvalidationStatus] = mapped_column(
        _enum(InvalidationStatus, "invalidation_status"), default=InvalidationStatus.COUNTING
    )
    # The dry run: how many matched, among the signatures up to this id (the run goes no further,
    # so a flood still arriving cannot make it invalidate more than staff were shown).
    matched: Mapped[int | None]
    # How many of them count now: the `remove`s the run will add to the public ledger.
    matched_counted: Mapped[int | None]
    last_signature_id: Mapped[int | None]
    invalidated: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    counted_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def progress(self) -> int:
        """How far the run is, 0 to 100."""
        if self.status == InvalidationStatus.DONE:
            return 100
        if not self.matched:
            return 0
        return min(99, self.invalidated * 100 // self.matched)

    @property
    def is_working(self) -> bool:
        """Whether a worker has yet to finish with it (the page refreshes itself meanwhile)."""
        return self.status in (
            InvalidationStatus.COUNTING,
            InvalidationStatus.QUEUED,
            InvalidationStatus.RUNNING,
        )
