"""The outbox: queue a message inside a transaction, deliver it exactly once, sweep what is owed."""

from __future__ import annotations

import enum
import hashlib
import logging
import time
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any

import idna
from flask import current_app, render_template
from sqlalchemy import Connection, case, func, select, text, update

from campaign import clock, dispatch
from campaign.extensions import db
from campaign.mail.kinds import Composed, kind_of, register_kind
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.mail.outbox import about, cancel, sent_at_of, state_of
from campaign.mail.transport import (
    FileTransport,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    Transport,
)
from campaign.privacy import vault
from campaign.signing.emails import canonical_email

log = logging.getLogger(__name__)

__all__ = ["Composed", "about", "cancel", "register_kind", "sent_at_of", "state_of"]

PUMP_TASK = "mail.pump"
# What sealed outbox rows are (campaign.privacy.vault).
SEALED_PURPOSE = "outbox"
NO_LONGER_OWED = "not sent: no longer owed"
# Every commit that owes mail asks for a pump; a fifth of a second of them share one.
dispatch.coalesce(PUMP_TASK, seconds=0.2)


class Delivery(enum.StrEnum):
    """What one delivery attempt came to."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"


# The longest name a message shows of what someone typed (a greeting, a From display name).
NAME_MAX = 40
# Format characters that join or direct letters (ZWNJ, ZWJ, direction marks) stay in a header;
# every other character that is not printable becomes a space.
_KEPT_FORMAT = frozenset("\u200c\u200d\u200e\u200f")


def header_safe(value: str) -> str:
    """Remove line breaks, NUL and other control characters, so nothing can forge a header."""
    return " ".join("".join(ch if ch.isprintable() or ch in _KEPT_FORMAT else " " for ch in value).split())


def short_name(name: str) -> str:
    """A name someone typed, on one line and at most NAME_MAX characters, for a greeting or a header."""
    safe = header_safe(name)
    if len(safe) <= NAME_MAX:
        return safe
    return safe[: NAME_MAX - 1].rstrip(" \u200c\u200d") + "…"


def display_name(name: str) -> str:
    """A name fit to be shown beside an address: no '<', '>' or '@', so it can pose as no address."""
    return short_name("".join(" " if ch in "<>@" else ch for ch in name))


def address(name: str, email: str) -> str:
    """Format a recipient as 'Name <email>', the name quoted as the RFC requires.

    The domain is written in ASCII (IDNA) where it can be; a local part with
    other characters stays as it is and is sent with SMTPUTF8.
    """
    local, _, domain = header_safe(email).rpartition("@")
    if local.isascii():
        # Parsed, so that a quoted local part stays as it was quoted.
        return str(Address(display_name=display_name(name), addr_spec=f"{local}@{ascii_domain(domain)}"))
    # The parser refuses what it cannot send without SMTPUTF8; the parts need no parsing.
    return str(Address(display_name=display_name(name), username=local, domain=ascii_domain(domain)))


def ascii_domain(domain: str) -> str:
    """An email domain in ASCII (IDNA 2008 with UTS 46 mapping), or as given if it has no such form."""
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        return domain


def recipient_index(email: str) -> str:
    """The keyed hash that bounds the mail an address is sent: the index people are found by."""
    return vault.blind_index(canonical_email(email), purpose="email")


def queue(
    *,
    kind: str,
    dedupe_key: str,
    recipient: str,
    subject: str,
    template: str,
    recipient_index: str | None = None,
    **context: object,
) -> int | None:
    """Render a mail template into the outbox; it leaves after the commit. None if not owed (see write)."""
    body = render_template(f"mail/{template}", **context)
    return write(
        kind=kind,
        dedupe_key=dedupe_key,
        recipient=recipient,
        subject=subject,
        body=body,
        recipient_index=recipient_index,
    )


# Plain SQL that SQLite and PostgreSQL both speak: every signature writes one
# of these, and building the statement through the ORM cost more than sending it.
_WRITE = text("""
INSERT INTO outbox (kind, dedupe_key, ref_id, sealed, status, attempts, next_attempt_at, message_id,
                    created_at)
VALUES (:kind, :dedupe_key, :ref_id, :sealed, 'pending', 0, :due, :message_id, :now)
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
""")
# The same for mail to a person who did not ask for it by signing in: only
# while their address was owed fewer than the day's and the hour's bound.
# (The WHERE also keeps SQLite from reading ON CONFLICT as part of the SELECT;
# the CAST gives PostgreSQL one type for a parameter used twice.)
_WRITE_BOUNDED = text("""
INSERT INTO outbox (kind, dedupe_key, ref_id, sealed, recipient_index, status, attempts, next_attempt_at,
                    message_id, created_at)
SELECT :kind, :dedupe_key, :ref_id, :sealed, CAST(:recipient_index AS VARCHAR(64)), 'pending', 0, :due,
       :message_id, :now
WHERE (SELECT count(*) FROM outbox
       WHERE recipient_index = :recipient_index AND created_at > :day_ago) < :per_day
  AND (SELECT count(*) FROM outbox
       WHERE recipient_index = :recipient_index AND created_at > :hour_ago) < :per_hour
ON CONFLICT (dedupe_key) DO NOTHING
RETURNING id
""")
# Transaction-scoped lock per address (PostgreSQL): two requests at once cannot both see room.
_LOCK_RECIPIENT = text("SELECT pg_advisory_xact_lock(CAST(:namespace AS integer), CAST(:key AS integer))")
_LOCK_NAMESPACE = 0x6D61696C  # "mail"


def owe(
    *,
    kind: str,
    dedupe_key: str,
    ref_id: int,
    due_at: datetime | None = None,
    now: datetime | None = None,
    recipient_index: str | None = None,
) -> int | None:
    """Owe a message about `ref_id`, written by its kind's composer when sent; None if not owed.

    With the recipient's `recipient_index`, the message is owed only while
    that address is under its bound (see over_bound); otherwise, or if a
    message with this key is owed already, nothing is written.
    """
    return _insert(kind, dedupe_key, ref_id, None, due_at, now, recipient_index)


def write(
    *,
    kind: str,
    dedupe_key: str,
    recipient: str,
    subject: str,
    body: str,
    due_at: datetime | None = None,
    sender_name: str | None = None,
    reply_to: str | None = None,
    list_unsubscribe: str | None = None,
    now: datetime | None = None,
    recipient_index: str | None = None,
) -> int | None:
    """Seal a written message into the outbox, due now or later; None if not owed.

    Not owed: one with this key is owed already, or (given the recipient's
    `recipient_index`) their address is over its bound for now.
    """
    if recipient_index is not None and over_bound(recipient_index, now):
        return None  # not even sealed
    composed = Composed(
        recipient=recipient,
        subject=header_safe(subject),
        body=body,
        sender_name=header_safe(sender_name) if sender_name else None,
        reply_to=reply_to,
        list_unsubscribe=list_unsubscribe,
    )
    sealed = vault.seal(composed.sealed_values(), purpose=SEALED_PURPOSE, organization_id=None)
    return _insert(kind, dedupe_key, None, sealed, due_at, now, recipient_index)


def over_bound(recipient_index: str, now: datetime | None = None) -> bool:
    """Tell whether an address was owed MAIL_PER_ADDRESS_PER_DAY messages in the last day or
    MAIL_PER_ADDRESS_PER_HOUR in the last hour (a hint: the insert decides, under a lock)."""
    now = now or clock.now()
    config = current_app.config
    recent = (OutboxMessage.recipient_index == recipient_index) & (OutboxMessage.created_at > now - _DAY)
    day, hour = db.session.execute(
        select(func.count(), func.count(case((OutboxMessage.created_at > now - _HOUR, 1)))).where(recent)
    ).one()
    return bool(day >= config["MAIL_PER_ADDRESS_PER_DAY"] or hour >= config["MAIL_PER_ADDRESS_PER_HOUR"])


_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)


def _insert(
    kind: str,
    dedupe_key: str,
    ref_id: int | None,
    sealed: bytes | None,
    due_at: datetime | None,
    now: datetime | None,
    recipient_index: str | None = None,
) -> int | None:
    """Insert one outbox row unless its key is owed already (or its address is over its bound);
    start a pump after the commit if it is due."""
    now = now or clock.now()
    due = due_at or now
    values: dict[str, Any] = {
        "kind": kind,
        "dedupe_key": dedupe_key,
        "ref_id": ref_id,
        "sealed": sealed,
        "message_id": message_id_for(dedupe_key),
        "due": due,
        "now": now,
    }
    statement = _WRITE
    if recipient_index is not None:
        statement = _WRITE_BOUNDED
        config = current_app.config
        values |= {
            "recipient_index": recipient_index,
            "day_ago": now - _DAY,
            "hour_ago": now - _HOUR,
            "per_day": config["MAIL_PER_ADDRESS_PER_DAY"],
            "per_hour": config["MAIL_PER_ADDRESS_PER_HOUR"],
        }
        if db.session.get_bind().dialect.name == "postgresql":
            # Held to the commit; SQLite writes one transaction at a time anyway.
            key = int(recipient_index[:8], 16) - 2**31
            db.session.execute(_LOCK_RECIPIENT, {"namespace": _LOCK_NAMESPACE, "key": key})
    message_id: int | None = db.session.execute(statement, values).scalar()
    if message_id is None and recipient_index is not None:
        # No address in the log: the kind says enough to see an inbox being flooded.
        log.info("%s message not owed: its address is over its bound or owed it already", kind)
    # A row due later waits for the sweep, which starts a pump when it falls due.
    if message_id is not None and due <= now:
        dispatch.defer(db.session(), PUMP_TASK)
    return message_id


def message_id_for(dedupe_key: str) -> str:
    """A Message-ID derived from what the message is for: the same on every retry."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    domain = parseaddr(current_app.config["MAIL_FROM"])[1].rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def composed(row: OutboxMessage) -> Composed | None:
    """What an outbox row says: opened from its seal, or written now by its kind; None if no longer owed."""
    if row.sealed is not None:
        return Composed.from_values(vault.open_values(row.sealed, purpose=SEALED_PURPOSE))
    writer = kind_of(row.kind).compose
    return None if writer is None or row.ref_id is None else writer(row)


def compose(row: OutboxMessage, content: Composed) -> EmailMessage:
    """Build the email of an outbox row from what it says."""
    message = EmailMessage()
    sender = current_app.config["MAIL_FROM"]
    if content.sender_name:
        # Someone writing through the platform: their name, our address.
        sender = address(content.sender_name, parseaddr(sender)[1])
    message["From"] = sender
    message["To"] = content.recipient
    message["Subject"] = header_safe(content.subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    if content.reply_to:
        message["Reply-To"] = content.reply_to
    if content.list_unsubscribe:
        # RFC 8058 one-click unsubscribe: the receiver POSTs to this link.
        link = "".join(ch for ch in header_safe(content.list_unsubscribe) if ch not in "<> ")
        message["List-Unsubscribe"] = f"<{link}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(content.body)
    attach = kind_of(row.kind).attachments
    for filename, subtype, text_content in attach(row) if attach else []:
        message.add_attachment(text_content, subtype=subtype, filename=filename)
    if content.list_unsubscribe:
        # A link longer than a folded line would otherwise become RFC 2047
        # encoded words, which receivers do not decode in this header.
        message.policy = message.policy.clone(max_line_length=998)
    return message


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


# How a message is claimed, and how what a dead worker held comes back.
#
# A pump claims a few messages at a time (OUTBOX_CLAIM_BATCH), just before it
# sends them: the rows go from pending to sending (attempts + 1) in one
# transaction of their own. Each is then sent and its outcome committed on its
# own, so a worker killed mid-send leaves at most one message per pool process
# sent but not recorded; the rest of its batch was not sent yet.
#
# On PostgreSQL each pump holds a session-level advisory lock for as long as it
# runs, on a connection it keeps for the purpose (`Holder`): the lock's key is
# that connection's backend process id, unique among live sessions, and every
# row the pump claims carries it (claim_key). The lock lives exactly as long as
# the worker's connection: when the worker dies, PostgreSQL ends its session
# and the lock is gone. So "sending, and nobody holds its claim key's lock"
# means "its pump is gone", and the next pump or sweep puts it back at once
# (taking the lock with pg_try_advisory_xact_lock, which a live pump's lock
# refuses), instead of waiting OUTBOX_STUCK_SECONDS. (Should a new session get
# a dead one's process id and become a pump, what the dead one left waits for
# the new pump to end, or for OUTBOX_STUCK_SECONDS: later, never twice.) A
# message whose SMTP server had accepted it just before the worker died is
# sent again, with the same Message-ID, so a receiver can drop the copy: at
# most one duplicate per pool process killed. A worker that keeps dying on one
# message spends its attempts and the message fails.
#
# SQLite (the embedded default, one machine) has no such locks: a message left
# sending there is reclaimed after OUTBOX_STUCK_SECONDS, as before.
_CLAIM_LOCKS = 0x636C6D  # "clm": the namespace of the claim locks
_HOLD = text("SELECT pg_try_advisory_lock(CAST(:namespace AS integer), CAST(:key AS integer))")
_LET_ALL_GO = text("SELECT pg_advisory_unlock_all()")
# Rows sending whose worker is gone: their claim key's lock is free (taken here
# to the end of this transaction, so a pump cannot claim them meanwhile). The
# CASE makes PostgreSQL try the lock only for rows that are sending: given a
# plain AND it may try it for every row of the table first (it did: a soak
# with 60,000 rows filled the server's lock table, and every database on it
# answered "out of shared memory").
_ORPHANED = text("""
SELECT id FROM outbox
WHERE status = 'sending'
  AND CASE WHEN status = 'sending'
      THEN pg_try_advisory_xact_lock(CAST(:namespace AS integer), COALESCE(claim_key, id))
      ELSE false END
FOR UPDATE SKIP LOCKED
""")


class Holder:
    """A pump's claim lock, on a PostgreSQL connection of its own (nothing on SQLite); `key` names it."""

    def __init__(self) -> None:
        self.connection: Connection | None = None
        self.key: int | None = None
        if db.engine.dialect.name != "postgresql":
            return
        self.connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        key = int(self.connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
        # Nobody else holds it for long: a sweep testing a dead session's rows that had this
        # process id takes it for the length of one statement.
        for _ in range(100):
            if self.connection.execute(_HOLD, {"namespace": _CLAIM_LOCKS, "key": key}).scalar():
                self.key = key
                return
            time.sleep(0.01)
        self.close()
        raise RuntimeError("the outbox claim lock of this session's process id is held elsewhere")

    def close(self) -> None:
        """Release the lock and give the connection back (a dead connection released it already)."""
        if self.connection is None:
            return
        try:
            self.connection.execute(_LET_ALL_GO)
        finally:
            self.connection.close()
            self.connection = None


def pump(batch: int, seconds: float) -> int:
    """Send what is due, claiming each message just before sending it, for at most `seconds`; return how many.

    Any number of pumps may run at once: each claims rows no other has
    claimed. Every `batch` messages, if a backlog remains, another pump is
    started so that more worker processes send; when time runs out with rows
    still due, another pump takes over.
    """
    handled = 0
    published_at = -batch
    holder = Holder()
    session = db.session()

    def step() -> int:
        """Claim the next few due messages and send them; how many (none: nothing is due)."""
        nonlocal handled, published_at
        if handled - published_at >= batch:
            published_at = handled
            if _due_count(batch + 1) > batch:
                # A backlog: let another worker process pump beside this one.
                dispatch.publish(PUMP_TASK, ())
        rows = _claim_some(holder)
        # Whatever of the batch an error leaves unsent is still sending: the lock
        # goes when this pump ends, and the next pump puts it back at once.
        for row in rows:
            _send_claimed(row)
            handled += 1
        return len(rows)

    # Each send is committed on its own and nobody else changes a claimed
    # row, so it need not be read again after each commit.
    session.expire_on_commit = False
    try:
        reclaim_orphans()
        return dispatch.drain(step, full=1, seconds=seconds, task_name=PUMP_TASK)
    finally:
        session.expire_on_commit = True
        holder.close()


def _due_count(limit: int) -> int:
    """How many messages are due now, counting up to `limit`."""
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= clock.now())
        .limit(limit)
        .subquery()
    )
    return int(db.session.execute(select(func.count()).select_from(due)).scalar_one())


def _claim_some(holder: Holder) -> list[OutboxMessage]:
    """Claim the next few due messages for this pump (status sending, its claim key); oldest due first."""
    now = clock.now()
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at)
        .limit(max(int(current_app.config["OUTBOX_CLAIM_BATCH"]), 1))
        .with_for_update(skip_locked=True)
    )
    claimed = (
        db.session.execute(
            update(OutboxMessage)
            # The status again: SQLite has no SKIP LOCKED (it writes one transaction at a time).
            .where(OutboxMessage.id.in_(due), OutboxMessage.status == OutboxStatus.PENDING)
            .values(
                status=OutboxStatus.SENDING,
                claimed_at=now,
                claim_key=holder.key,
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    db.session.commit()
    if not claimed:
        return []
    rows = db.session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(claimed))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .execution_options(populate_existing=True)
    ).scalars()
    return list(rows)


def reclaim_orphans() -> int:
    """Put back what dead workers left sending (PostgreSQL: no live claim lock); return how many."""
    if db.session.get_bind().dialect.name != "postgresql":
        return 0
    orphans = db.session.execute(_ORPHANED, {"namespace": _CLAIM_LOCKS}).scalars().all()
    if orphans:
        _put_back(OutboxMessage.id.in_(orphans), "its worker stopped while sending")
        log.warning("outbox: %d messages left sending by a stopped worker put back", len(orphans))
    db.session.commit()  # also ends the transaction that held the orphans' locks
    return len(orphans)


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


def _send_claimed(row: OutboxMessage) -> Delivery:
    """Send a row this process claimed and record the outcome, committed before the next one."""
    try:
        content = composed(row)
        if content is None:
            row.status = OutboxStatus.FAILED
            row.last_error = NO_LONGER_OWED
            outcome = Delivery.FAILED
        else:
            transport().send(compose(row, content))
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
    owed = db.session.execute(
        select(func.count()).select_from(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= due_before)
            .limit(limit)
            .subquery()
        )
    ).scalar_one()
    # One pump sends them all (and starts more if it runs out of time); if the
    # broker is away the next sweep tries again.
    if owed and not dispatch.publish(PUMP_TASK, ()):
        return 0
    return int(owed)
