"""Reading the outbox as the worker would: rows hold no clear text, so compose them (tests hold the key)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from campaign.mail import composing as mail
from campaign.mail.kinds import Composed
from campaign.mail.models import OutboxMessage


def rows(db: Any, kind: str | None = None) -> list[OutboxMessage]:
    """The outbox rows, oldest first (of one kind if asked)."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.execute(query).scalars())


def composed(db: Any, kind: str | None = None) -> list[Composed]:
    """What the owed rows say, as the worker would write them now (rows no longer owed left out)."""
    written = [mail.composed(row) for row in rows(db, kind)]
    return [message for message in written if message is not None]


def bodies(db: Any, kind: str | None = None) -> list[str]:
    """The bodies of the owed messages, oldest first."""
    return [message.body for message in composed(db, kind)]
