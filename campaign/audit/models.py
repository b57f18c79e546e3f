"""One row per recorded action; the database refuses to change or delete them (PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign import clock
from campaign.extensions import db


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """Something done with personal data or with the platform's trust: an export, a download, a takedown."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    # "user:42", or "cli:root" for a system administrator at the command line
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60), index=True)
    # what was acted on, such as "campaign:7" or "export:3"
    subject: Mapped[str] = mapped_column(String(120))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
