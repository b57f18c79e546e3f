"""Owing webhook events: the one call the places where things happen make, inside their transaction.

It only inserts rows (one per endpoint that wants the event) and asks for a
pump after the commit; it imports nothing of the domains that call it, so the
import graph stays one way: signing and targets -> webhooks.events -> models.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Exists,
    Select,
    String,
    bindparam,
    exists,
    literal,
    select,
)

from campaign import clock, dispatch, task_names
from campaign.campaigns.models import Campaign
from campaign.database import insert
from campaign.extensions import db
from campaign.signing.models import Signature, SignatureStatus
from campaign.targets.models import Letter
from campaign.webhooks.models import (
    EVENTS,
    OUTREACH_SENT,
    SIGNATURE_ADDED,
    SIGNATURE_CONFIRMED,
    SIGNATURE_WITHDRAWN,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "OUTREACH_SENT",
    "SIGNATURE_ADDED",
    "SIGNATURE_CONFIRMED",
    "SIGNATURE_WITHDRAWN",
    "emit",
    "is_wanted",
    "letters_sent",
]

PUMP_TASK = task_names.WEBHOOKS_PUMP
# Every commit that owes an event asks for a pump; a fifth of a second of them share one.
dispatch.coalesce(PUMP_TASK, seconds=0.2)

_COLUMNS = (
    "endpoint_id",
    "event",
    "ref_id",
    "campaign_id",
    "status",
    "attempts",
    "next_attempt_at",
    "occurred_at",
    "created_at",
)


def emit(event: str, signature_ids: Iterable[int] | Select[Any], now: datetime | None = None) -> int:
    """Owe `event` about these signatures to every enabled endpoint of their organization that
    wants it (each at most once); return how many deliveries were written."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    values: dict[str, Any] = {"event": event, "pattern": f"% {event} %", "now": now or clock.now()}
    if isinstance(signature_ids, Select):
        statement = _owe(signature_ids)
    else:
        values["ids"] = sorted(set(signature_ids))
        if not values["ids"]:
            return 0
        # Every sign and confirm request comes here: one statement built once, not per request
        # (building it cost a fifth of the sign request's time in the web process).
        dialect = db.session.get_bind().dialect.name
        statement = _owe_listed.get(dialect)
        if statement is None:
            statement = _owe_listed[dialect] = _owe(bindparam("ids", expanding=True))
    written = len(db.session.execute(statement, values).scalars().all())
    if written:
        dispatch.defer(db.session(), PUMP_TASK)
    return written


def _owe(signature_ids: Select[Any] | BindParameter[Any]) -> Any:
    """The INSERT of one delivery per (endpoint that wants the event, signature), parameters
    `event`, `pattern` (the event between spaces, for LIKE) and `now`."""
    now = bindparam("now", type_=WebhookDelivery.created_at.type)
    owed = (
        select(
            WebhookEndpoint.id,
            bindparam("event", type_=String),
            Signature.id,
            Signature.campaign_id,
            literal(DeliveryStatus.PENDING.value),
            literal(0),
            now,
            now,
            now,
        )
        .join(Campaign, Campaign.id == Signature.campaign_id)
        .join(WebhookEndpoint, WebhookEndpoint.organization_id == Campaign.organization_id)
        .where(
            Signature.id.in_(signature_ids),
            # Stored as fraudulent: answered like any other, never told to anyone.
            Signature.status != SignatureStatus.FRAUDULENT,
            _wants(bindparam("pattern", type_=String)),
        )
    )
    return (
        # Of the table, not the entity: with parameters, an ORM INSERT would be a bulk one.
        insert(WebhookDelivery.__table__)
        .from_select(list(_COLUMNS), owed)
        .on_conflict_do_nothing(index_elements=["endpoint_id", "event", "ref_id"])
        .returning(WebhookDelivery.__table__.c.id)
    )


# Of the table, not the entity: a statement of plain columns need not go through the ORM.
_ENDPOINTS = WebhookEndpoint.__table__.c


def _wants(pattern: Any) -> Any:
    """An endpoint is on and its events match `pattern` (the event between spaces, for LIKE)."""
    return _ENDPOINTS.is_enabled.is_(True) & (literal(" ") + _ENDPOINTS.events + literal(" ")).like(pattern)


def is_wanted(event: str, organization_id: ColumnElement[Any]) -> Exists:
    """Whether an endpoint of the organization wants `event`: where none does, emit() about its
    campaigns' signatures writes nothing. For a caller's own statement, so that it need not ask
    in a round trip of its own (the one-statement sign, the confirmation)."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    return exists().where(_ENDPOINTS.organization_id == organization_id, _wants(literal(f"% {event} %")))


# dialect name -> the INSERT for listed signature ids (its ON CONFLICT is the dialect's own).
_owe_listed: dict[str, Any] = {}


def letters_sent(outbox_row: Any) -> None:
    """Mail sent a letter (or a digest of them): owe outreach.sent for each of their confirmed signatures.

    Registered as the letter kinds' on_sent, so it runs in the transaction that marks the mail sent.
    """
    signatures = (
        select(Letter.signature_id)
        .join(Signature, Signature.id == Letter.signature_id)
        .where(Letter.outbox_id == outbox_row.id, Signature.status == SignatureStatus.VALIDATED)
    )
    emit(OUTREACH_SENT, signatures)
