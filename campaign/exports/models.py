"""Exports of signature lists: what was asked for, by whom, and where the file is while it lives."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign import clock
from campaign.campaigns.models import _enum
from campaign.extensions import db


class ExportStatus(enum.StrEnum):
    """Where an export is in its short life."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


class Export(db.Model):  # type: ignore[name-defined]
    """One requested export of a campaign's signatures."""

    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    # "user:42" or "cli:root"; user_id lets only the requester download it.
    requested_by: Mapped[str] = mapped_column(String(120))
    user_id: Mapped[int | None] = mapped_column(index=True)
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_excel: Mapped[bool] = mapped_column(default=False)
    is_gzip: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ExportStatus] = mapped_column(
        _enum(ExportStatus, "export_status"), default=ExportStatus.QUEUED
    )
    total_rows: Mapped[int | None]
    written_rows: Mapped[int] = mapped_column(default=0)
    # A random name in the exports folder: never derived from the id.
    file_name: Mapped[str | None] = mapped_column(String(80))
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]

    @property
    def progress(self) -> int:
        """How far the export is, 0 to 100."""
        if self.status == ExportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.written_rows * 100 // self.total_rows)
