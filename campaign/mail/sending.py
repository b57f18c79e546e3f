"""Sending: pumps that claim what the outbox owes and send it, each message at most once, and the
sweep that puts back what a dead worker left and starts a pump for what is due.

How rows are claimed, and how what a dead worker held comes back, is
campaign.claims (shared with the webhooks' deliveries).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Select, update

from campaign import claims, clock, dispatch
from campaign.extensions import db
from campaign.mail import bounces
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
    started so that more worker processes send; when time runs out with rows
    still due, another pump takes over. A pump ends once a claim comes back
    short of a full batch: nothing more was due.
    """
    handled = 0
    published_at = -batch

    def step(holder: claims.Holder) -> int:
        """Claim the next few due messages and send them; how many (none: nothing is due)."""
        nonlocal handled, published_at
        if handled - published_at >= batch:
            published_at = handled
            if claims.count(_due(clock.now()), batch + 1) > batch:
                # A backlog: let another worker process pump beside this one.
                dispatch.publish(PUMP_TASK, ())
        rows = _claim_some(holder)
        suppressed = bounces.Suppressions({row.recipient_index for row in rows if row.recipient_index})
        # Whatever of the batch an error leaves unsent is still sending: the lock
        # goes when this pump ends, and the next pump puts it back at once.
        for row in rows:
            _send_claimed(row, suppressed)
            handled += 1
        return len(rows)

    with claims.pumping() as holder:
        reclaim_orphans()
        # Goes on only while it claims full batches (a backlog): rows owed after its last claim
        # start a pump of their own through the commit that owes them, so that a steady trickle
        # of mail never holds a worker process that folds the counts.
        return dispatch.drain(lambda: step(holder), full=_claim_batch(), seconds=seconds, task_name=PUMP_TASK)


def _due(before: datetime) -> Select[int]:
    """The ids of the messages owed and due before this moment."""
    return OUTBOX.due(before)


def _claim_some(holder: claims.Holder) -> list[OutboxMessage]:
    """Claim the next few due messages for this pump (status sending, its claim key); oldest due first."""
    due = (
        _due(clock.now())
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


def _send_claimed(row: OutboxMessage, suppressed: bounces.Suppressions) -> Delivery:
    """Send a row this process claimed and record the outcome, committed before the next one.

    `suppressed` tells which addresses of its batch bounced for good (read once per batch).
    """
    try:
        content = composed(row)
        not_sent = NO_LONGER_OWED
        if content is not None:
            # Who it goes to, by keyed hash: a bounce arriving later names them by it.
            row.sent_to_index = row.recipient_index or bounces.index_of(content.recipient)
            if row.sent_to_index in suppressed:
                content, not_sent = None, bounces.SUPPRESSED
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
            row.status = OutboxStatus.SENT
            row.sent_at = clock.now()
            row.last_error = None
            outcome = Delivery.SENT
            sent = kind_of(row.kind).on_sent
            if sent is not None:
                sent(row)
    if row.status != OutboxStatus.PENDING:
        row.sealed = None  # sent or given up: what it said is not kept
    db.session.commit()
    log.info("outbox message %s: %s", row.id, outcome)
    return outcome


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
    return claims.hand_over(_due(due_before), limit, PUMP_TASK)
