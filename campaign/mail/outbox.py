"""What other domains may ask of the outbox table, through mail alone: which messages are about
what, where a message is, never sending one, dropping what sent mail said.

No module outside campaign.mail reads or writes outbox rows. A domain keeps
the outbox id mail.owe gave it (a letter, an update's message) and asks here;
the names of a message's states are decided here, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, case, literal, select, update
from sqlalchemy.orm import QueryableAttribute

from campaign.extensions import db
from campaign.mail.models import OutboxMessage, OutboxStatus

# Another table's column holding an outbox id (a letter's, an update message's).
OutboxId = ColumnElement[Any] | QueryableAttribute[Any]
# Where a message is, as a person names it.
QUEUED, SENT, FAILED, CANCELLED = "queued", "sent", "failed", "cancelled"


def about(kinds: Iterable[str], ref_ids: Iterable[int]) -> Select[int]:
    """The ids of the messages of these kinds about these references (signatures, for instance)."""
    return select(OutboxMessage.id).where(
        OutboxMessage.kind.in_(list(kinds)), OutboxMessage.ref_id.in_(list(ref_ids))
    )


def cancel(ids: Select[Any], reason: str, kinds: Iterable[str] | None = None) -> int:
    """Never send the owed messages among these outbox ids (of these kinds only, if given); what they
    said is dropped. Return how many."""
    chosen = [OutboxMessage.id.in_(ids), OutboxMessage.status == OutboxStatus.PENDING]
    if kinds is not None:
        chosen.append(OutboxMessage.kind.in_(list(kinds)))
    result = db.session.execute(
        update(OutboxMessage)
        .where(*chosen)
        .values(status=OutboxStatus.FAILED, last_error=reason[:500], sealed=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def state_of(outbox_id: OutboxId, cancelled_as: str | None = None) -> ScalarSelect[str | None]:
    """Where the message with this id is, as a column of another domain's query: queued, sent or failed
    (cancelled: failed because it was cancelled with the reason cancelled_as); None without a message."""
    failed: ColumnElement[str] = literal(FAILED)
    if cancelled_as is not None:
        failed = case((OutboxMessage.last_error == cancelled_as, CANCELLED), else_=FAILED)
    state = case(
        (OutboxMessage.status == OutboxStatus.SENT, SENT),
        (OutboxMessage.status == OutboxStatus.FAILED, failed),
        else_=QUEUED,
    )
    return select(state).where(OutboxMessage.id == outbox_id).scalar_subquery()


def sent_at_of(outbox_id: OutboxId) -> ScalarSelect[datetime | None]:
    """When the message with this id was sent, as a column of another domain's query; None if not sent."""
    return (
        select(OutboxMessage.sent_at)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.status == OutboxStatus.SENT)
        .scalar_subquery()
    )


def forget_what_was_said() -> int:
    """Drop what sent or failed messages said, if anything is left of it; return how many rows."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED]),
            OutboxMessage.sealed.is_not(None),
        )
        .values(sealed=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
