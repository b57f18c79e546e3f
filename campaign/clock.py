"""The one place the platform reads the time: naive UTC, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """Return the current time in UTC, without tzinfo (as the database stores it)."""
    return datetime.now(UTC).replace(tzinfo=None)
