"""Reading the audit log as a test checks what staff and organizers did."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from campaign.audit.models import AuditEvent


def events(db: Any, action: str) -> list[AuditEvent]:
    """The audit events of one action, oldest first."""
    db.session.expire_all()
    return list(
        db.session.execute(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).scalars()
    )
