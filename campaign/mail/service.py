"""The outbox: queue a message inside a transaction, deliver it exactly once, sweep what is owed."""

from __future__ import annotations

import enum
import hashlib
import logging
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import select, update

from campaign import clock, dispatch
from campaign.database import insert
from campaign.extensions import db
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.mail.transport import (
    FileTransport,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    Transport,
)

log = logging.getLogger(__name__)

SEND_TASK = "mail.send_message"


class Delivery(enum.StrEnum):
    """What one delivery attempt came to."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # not ours to send: sent already, claimed elsewhere, or not due


def header_safe(value: str) -> str:
    """Remove line breaks, NUL and other control characters, so nothing can forge a header."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in value).split())


def address(display_name: str, email: str) -> str:
    """Format a recipient as 'Name <email>', quoted as the RFC requires."""
    return str(Address(display_name=header_safe(display_name), addr_spec=header_safe(email)))


def queue(
    *, kind: str, dedupe_key: str, recipient: str, subject: str, template: str, **context: object
) -> int | None:
    """Write a message into the outbox; it leaves after the commit. None if already owed."""
    body = render_template(f"mail/{template}", **context)
    statement = (
        insert(OutboxMessage)
        .values(
            kind=kind,
            dedupe_key=dedupe_key,
            recipient=recipient,
            subject=header_safe(subject),
            body=body,
            message_id=message_id_for(dedupe_key),
            status=OutboxStatus.PENDING,
            attempts=0,
            next_attempt_at=clock.now(),
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    message_id: int | None = db.session.execute(statement).scalar()
    if message_id is not None:
        dispatch.defer(db.session(), SEND_TASK, message_id)
    return message_id


def message_id_for(dedupe_key: str) -> str:
    """A Message-ID derived from what the message is for: the same on every retry."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def compose(row: OutboxMessage) -> EmailMessage:
    """Build the email of an outbox row."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    if row.reply_to:
        message["Reply-To"] = row.reply_to
    message.set_content(row.body)
    return message


def transport() -> Transport:
    """The transport the configuration asks for, one per app."""
    app = current_app
    existing: Transport | None = app.extensions.get("mail_transport")
    if existing is None:
        if app.config["SMTP_URL"]:
            existing = SmtpTransport(app.config["SMTP_URL"], app.config["SMTP_TIMEOUT"])
        else:
            existing = FileTransport(mail_folder())
        app.extensions["mail_transport"] = existing
    return existing


def mail_folder() -> Path:
    """Where the embedded default keeps sent mail."""
    return Path(current_app.instance_path) / "mail"


def deliver(message_id: int) -> Delivery:
    """Send one outbox row at most once: claim it, send it, record the outcome."""
    if not _claim(message_id):
        return Delivery.SKIPPED
    row = db.session.get_one(OutboxMessage, message_id)
    try:
        transport().send(compose(row))
    except TemporaryFailure as error:
        outcome = _retry_later(row, str(error))
    except PermanentFailure as error:
        row.status = OutboxStatus.FAILED
        row.last_error = str(error)[:500]
        outcome = Delivery.FAILED
    else:
        row.status = OutboxStatus.SENT
        row.sent_at = clock.now()
        row.last_error = None
        outcome = Delivery.SENT
    db.session.commit()
    log.info("outbox message %s: %s", message_id, outcome)
    return outcome


def _claim(message_id: int) -> bool:
    """Mark the row as being sent, if it is pending and due; only one claimer wins."""
    now = clock.now()
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.next_attempt_at <= now,
        )
        .values(
            status=OutboxStatus.SENDING,
            claimed_at=now,
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(getattr(result, "rowcount", 0))


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
    """Reclaim rows stuck mid-send and hand the broker what is owed; return how many."""
    config = current_app.config
    now = clock.now()
    stuck_before = now - timedelta(seconds=config["OUTBOX_STUCK_SECONDS"])
    stuck = (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.claimed_at < stuck_before)
    exhausted = OutboxMessage.attempts >= config["OUTBOX_MAX_ATTEMPTS"]
    db.session.execute(
        update(OutboxMessage)
        .where(stuck, exhausted)
        .values(status=OutboxStatus.FAILED, last_error="stuck while sending")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(stuck, ~exhausted)
        .values(status=OutboxStatus.PENDING)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    due_before = now - timedelta(seconds=config["OUTBOX_SWEEP_GRACE_SECONDS"])
    owed = db.session.execute(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= due_before)
        .order_by(OutboxMessage.next_attempt_at)
        .limit(limit)
    ).scalars()
    handed = 0
    for message_id in owed:
        if not dispatch.publish(SEND_TASK, (message_id,)):
            break  # the broker is away; the next sweep tries again
        handed += 1
    return handed
