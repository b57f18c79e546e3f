"""Recording actions in the audit log."""

from __future__ import annotations

from typing import Any

from campaign import clock
from campaign.audit.models import AuditEvent
from campaign.extensions import db


def record(actor: str, action: str, subject: str, **details: Any) -> AuditEvent:
    """Append an event; it is written with the caller's transaction, before any data flows."""
    event = AuditEvent(at=clock.now(), actor=actor, action=action, subject=subject, details=details)
    db.session.add(event)
    db.session.flush()
    return event
