"""Sending: pumps that claim what the outbox owes and send it, each message at most once, and the
sweep that puts back what a dead worker left and starts a pump for what is due.

How rows are claimed, and how what a dead worker held comes back, is
campaign.claims (shared with the webhooks' deliveries).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from psycopg.errors import LockNotAvailable
from sqlalchemy import Connection, bindparam, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.attributes import set_committed_value

from campaign import claims, clock, dispatch
from campaign.extensions import db
from campaign.mail import bounces, suppressions
from campaign.mail.composing import compose, composed
from campaign.mail.kinds import kind_of
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.mail.service import PUMP_TASK
from campaign.mail.transport import (
    FileTransport,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    Transport,
)
from campaign.privacy import vault

log = logging.getLogger(__name__)

OUTBOX = claims.Outbox(OutboxMessage, pending=OutboxStatus.PENDING, sending=OutboxStatus.SENDING)
NO_LONGER_OWED = "not sent: no longer owed"


class Delivery(enum.StrEnum):
    """What one delivery attempt came to."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


def transport() -> Transport:
    """The transport the configuration asks for, one per app."""
    app = current_app
    existing: Transport | None = app.extensions.get("mail_transport")
    if existing is None:
        if app.config["SMTP_URL"]:
            existing = SmtpTransport(
                app.config["SMTP_URL"], app.config["SMTP_TIMEOUT"], ca_file=app.config["SMTP_CA_FILE"]
            )
        else:
            existing = FileTransport(mail_folder())
        app.extensions["mail_transport"] = existing
    return existing


def mail_folder() -> Path:
    """Where the embedded default keeps sent mail."""
    return Path(current_app.instance_path) / "mail"


def pump(batch: int, seconds: float) -> int:
    """Send what is due, claiming each message just before sending it, for at most `seconds`; return how many.

    Any number of pumps may run at once: each claims rows no other has
    claimed. Every `batch` messages, if a backlog remains, another pump is
    started so that more worker processes send, once: the pump started does
    the same, so the pumps spread over the processes one after another, and
    few wait behind them to find nothing once the backlog is sent (each costs
    a worker about 8 ms; started every batch, 30 did for 2,000 messages).
    When time runs out with rows still due, another pump takes over. A pump
    ends once a claim comes back short of a full batch: nothing more was due.
    """
    handled = 0
    checked_at: int | None = -batch

    def step(holder: claims.Holder) -> int:
        """Claim the next few due messages and send them; how many (none: nothing is due)."""
        nonlocal handled, checked_at
        if checked_at is not None and handled - checked_at >= batch:
            checked_at = handled
            if claims.count(OUTBOX.due(clock.now()), batch + 1) > batch:
                # A backlog: let another worker process pump beside this one.
                dispatch.publish(PUMP_TASK, ())
                checked_at = None
        rows = _claim_some(holder)
        suppressed = suppressions.Suppressions({row.recipient_index for row in rows if row.recipient_index})
        _read_ahead(rows)
        # Whatever of the batch an error leaves unsent is still sending: the lock
        # goes when this pump ends, and the next pump puts it back at once.
        for row in rows:
            _send_claimed(row, suppressed, holder)
            handled += 1
        # Ends the batch's reads (and their table locks): a plain "sent" went on the pump's connection.
        db.session.commit()
        return len(rows)

    with claims.pumping() as holder:
        reclaim_orphans()
        # Goes on only while it claims full batches (a backlog): rows owed after its last claim
        # start a pump of their own through the commit that owes them, so that a steady trickle
        # of mail never holds a worker process that folds the counts.
        return dispatch.drain(lambda: step(holder), full=_claim_batch(), seconds=seconds, task_name=PUMP_TASK)


def _read_ahead(rows: Sequence[OutboxMessage]) -> None:
    """Let each kind read at once what its composer will need for these rows."""
    for kind in sorted({row.kind for row in rows}):
        read_ahead = kind_of(kind).read_ahead
        if read_ahead is not None:
            read_ahead([row for row in rows if row.kind == kind])


def _claim_some(holder: claims.Holder) -> list[OutboxMessage]:
    """Claim the next few due messages for this pump (status sending, its claim key); oldest due first."""
    due = (
        OUTBOX.due(clock.now())
        .order_by(OutboxMessage.next_attempt_at)
        .limit(_claim_batch())
        .with_for_update(skip_locked=True)
    )
    return claims.claim(OUTBOX, due, holder)


def _claim_batch() -> int:
    """How many due messages a pump claims at once."""
    return max(int(current_app.config["OUTBOX_CLAIM_BATCH"]), 1)


def reclaim_orphans() -> int:
    """Put back what dead workers left sending (PostgreSQL: no live claim lock); return how many."""
    return claims.reclaim(OUTBOX, _put_back_orphans, "messages")


def _put_back_orphans(ids: Sequence[int]) -> None:
    """Put back these messages, whose pump is gone."""
    _put_back(OutboxMessage.id.in_(ids), "its worker stopped while sending")


def _put_back(which: Any, reason: str) -> None:
    """Make these sending rows pending again, or failed once they spent their attempts."""
    exhausted = OutboxMessage.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    sending = OutboxMessage.status == OutboxStatus.SENDING
    db.session.execute(
        update(OutboxMessage)
        .where(which, sending, exhausted)
        .values(status=OutboxStatus.FAILED, last_error=f"stuck while sending: {reason}"[:500], sealed=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(which, sending, ~exhausted)
        .values(status=OutboxStatus.PENDING)
        .execution_options(synchronize_session=False)
    )


def _send_claimed(
    row: OutboxMessage, suppressed: suppressions.Suppressions, holder: claims.Holder
) -> Delivery:
    """Send a row this process claimed and record the outcome, committed before the next one.

    `suppressed` tells which addresses of its batch bounced for good or were stopped (read once per batch);
    `holder`, the pump's claim lock, whose connection (PostgreSQL only) records a plain "sent".
    """
    # Who it goes to, by keyed hash (a later bounce names them by it); kept aside until the outcome
    # is recorded: set on the row now, a read would flush it in a transaction then holding the row.
    index: str | None = None
    try:
        content = composed(row)
        not_sent = NO_LONGER_OWED
        if content is not None:
            index = row.recipient_index or bounces.index_of(content.recipient)
            stopped = suppressed.why_not(row, index)
            if stopped is not None:
                content, not_sent = None, stopped
        if content is None:
            row.status = OutboxStatus.FAILED
            row.last_error = not_sent
            outcome = Delivery.FAILED
        else:
            transport().send(compose(row, content), envelope_from=bounces.return_path(row.id))
    except vault.CannotOpen as error:
        # A worker without the key (a deployment in progress): another may hold it.
        log.error("outbox message %s cannot be opened here: %s", row.id, error)
        outcome = _retry_later(row, "cannot be opened by this worker")
    except TemporaryFailure as error:
        outcome = _retry_later(row, str(error))
    except PermanentFailure as error:
        row.status = OutboxStatus.FAILED
        row.last_error = str(error)[:500]
        outcome = Delivery.FAILED
        refused = kind_of(row.kind).on_refused
        if refused is not None:
            refused(row)
    else:
        if content is not None:
            sent = kind_of(row.kind).on_sent
            is_plain = sent is None and not (db.session.new or db.session.dirty or db.session.deleted)
            if is_plain and holder.connection is not None and _record_sent(row, index, holder.connection):
                log.info("outbox message %s: %s", row.id, Delivery.SENT)
                return Delivery.SENT
            row.status = OutboxStatus.SENT
            row.sent_at = clock.now()
            row.last_error = None
            outcome = Delivery.SENT
            if sent is not None:
                sent(row)
    if index is not None:
        row.sent_to_index = index
    if row.status != OutboxStatus.PENDING:
        row.sealed = None  # sent or given up: what it said is not kept
    db.session.commit()
    log.info("outbox message %s: %s", row.id, outcome)
    return outcome


# "Sent", in one statement on the pump's own connection (autocommit): the message was
# handed over, and nothing else is written with it (kinds with an on_sent hook are
# recorded in the session's transaction, with what the hook writes).
_SENT = (
    update(OutboxMessage.__table__)
    .where(OutboxMessage.__table__.c.id == bindparam("row_id"))
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("sent_at"),
        sent_to_index=bindparam("sent_to_index"),
        last_error=None,
        sealed=None,
    )
)


def _record_sent(row: OutboxMessage, index: str | None, connection: Connection) -> bool:
    """Record that `row` was sent to the address of this index, committed at once in one round trip
    (no BEGIN and COMMIT of their own); the session's copy is told, so that it writes nothing.
    False if the row stayed locked (claims._LOCK_TIMEOUT): the caller then records it in the session.
    """
    now = clock.now()
    try:
        connection.execute(_SENT, {"row_id": row.id, "sent_at": now, "sent_to_index": index})
    except OperationalError as error:
        if not isinstance(error.orig, LockNotAvailable):
            raise
        log.warning("outbox message %s: sent, recorded in the session (its row was locked)", row.id)
        return False
    for name, value in (
        ("status", OutboxStatus.SENT),
        ("sent_at", now),
        ("sent_to_index", index),
        ("last_error", None),
        ("sealed", None),
    ):
        set_committed_value(row, name, value)
    return True


def _retry_later(row: OutboxMessage, error: str) -> Delivery:
    """Put the row back with an exponential backoff, or give up after the last attempt."""
    row.last_error = error[:500]
    if row.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        row.status = OutboxStatus.FAILED
        return Delivery.FAILED
    row.status = OutboxStatus.PENDING
    row.next_attempt_at = clock.now() + backoff(row.attempts)
    return Delivery.RETRY


def backoff(attempts: int) -> timedelta:
    """30 s after the first failure, doubling each time, at most two hours."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 7200))


def sweep(limit: int = 1000) -> int:
    """Put back rows whose worker is gone or that are stuck mid-send, start a pump for what is due;
    return how many are due."""
    config = current_app.config
    now = clock.now()
    reclaim_orphans()
    # SQLite's (and any) row still sending after this long: its worker is surely gone.
    stuck_before = now - timedelta(seconds=config["OUTBOX_STUCK_SECONDS"])
    _put_back(OutboxMessage.claimed_at < stuck_before, "no outcome in OUTBOX_STUCK_SECONDS")
    db.session.commit()
    due_before = now - timedelta(seconds=config["OUTBOX_SWEEP_GRACE_SECONDS"])
    return claims.hand_over(OUTBOX.due(due_before), limit, PUMP_TASK)
