"""Bounces and complaints that arrive after a message left: each message's own return path (VERP),
the bounce mailbox the worker reads, and what a hard bounce or a complaint changes.

Each message leaves with the envelope sender bounces+<outbox id>-<token>@domain,
the token a keyed hash of the id: a report names the message it is about
without naming its recipient, and one with a token we did not write is
ignored. A hard bounce of a kind that reacts to refusals (a letter: its
official's address is marked bad) runs that reaction; any other suppresses
the address, by its keyed hash, so nothing more is sent to it. A complaint
likewise runs its kind's reaction (letters to that official paused), or
stops all email to the address, as its owner's stop does (campaign.mail.suppressions).
The mailbox is a maildir an MTA delivers the bounce address to (docs/OPERATIONS.md).
"""

from __future__ import annotations

import hmac
import logging
import mailbox
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Select, select

from campaign import clock
from campaign.extensions import db
from campaign.mail import reports, suppressions
from campaign.mail.kinds import kind_of
from campaign.mail.models import OutboxMessage, OutboxStatus, SuppressionReason
from campaign.mail.outbox import cancel
from campaign.mail.service import platform_address, recipient_index
from campaign.privacy import vault

log = logging.getLogger(__name__)

LOCAL_PART = "bounces"
# What could not be read is kept here, inside the maildir, for a person to look at, for
# BOUNCE_SET_ASIDE_DAYS: it holds supporters' addresses in clear.
SET_ASIDE_FOLDER = "rejected"
# A report is a few kilobytes; one far larger is set aside unread.
MAX_REPORT_BYTES = 1024 * 1024
_TOKEN_LENGTH = 12


def is_reading() -> bool:
    """Tell whether bounces are read (BOUNCE_MAILDIR set): only then do messages get their own return path."""
    return bool(current_app.config["BOUNCE_MAILDIR"])


def return_path(outbox_id: int) -> str | None:
    """The envelope sender of a message, bounces+<id>-<token>@domain; None while bounces are not read."""
    if not is_reading():
        return None
    config = current_app.config
    domain = config["BOUNCE_DOMAIN"] or platform_address().rpartition("@")[2] or "localhost"
    return f"{LOCAL_PART}+{outbox_id}-{_token(outbox_id)}@{domain}"


def _token(outbox_id: int) -> str:
    """The keyed hash that proves a return path is ours."""
    return vault.blind_index(str(outbox_id), purpose="return-path")[:_TOKEN_LENGTH]


def index_of(recipient: str) -> str:
    """The keyed hash of a recipient ('Name <address>'), as people and suppressions are found by."""
    return recipient_index(parseaddr(recipient)[1])


def read_mailbox(limit: int = 500) -> int:
    """Act on up to `limit` messages of the bounce mailbox, each once; return how many were read.

    Each is removed once what it says is committed; what cannot be read is
    set aside, and deleted BOUNCE_SET_ASIDE_DAYS later. A database error leaves
    the rest for the next run.
    """
    folder = current_app.config["BOUNCE_MAILDIR"]
    if not folder:
        return 0
    try:
        box = mailbox.Maildir(folder, factory=None, create=False)
    except mailbox.NoSuchMailboxError:
        log.warning("the bounce mailbox BOUNCE_MAILDIR is not a maildir: %s", folder)
        return 0
    forget_set_aside(folder, clock.now())
    read = 0
    for key in sorted(box.keys())[:limit]:
        raw = _raw(box, key)
        if raw is None:
            continue  # another worker took it
        read += 1
        report = _read(raw)
        if report is None:
            _set_aside(box, key, raw)
            continue
        outcome = apply(report, clock.now())
        db.session.commit()
        box.discard(key)
        log.info("bounce mailbox: a %s report, %s", report.verdict, outcome)
    return read


def _raw(box: mailbox.Maildir, key: str) -> bytes | None:
    """The bytes of a message, at most one more than MAX_REPORT_BYTES; None if it is gone."""
    try:
        with box.get_file(key) as handle:
            return bytes(handle.read(MAX_REPORT_BYTES + 1))
    except (KeyError, FileNotFoundError):
        return None


def _read(raw: bytes) -> reports.Report | None:
    """What a message says; None if it is too large or cannot be read."""
    if len(raw) > MAX_REPORT_BYTES:
        log.warning("bounce mailbox: a message over %s bytes", MAX_REPORT_BYTES)
        return None
    try:
        return reports.read(raw)
    # Anyone can write to the bounce address: whatever the parser trips on (a
    # RecursionError on deep nesting, for one), the message is set aside for a
    # person and the mailbox keeps being read.
    except Exception as error:
        log.warning("bounce mailbox: a message that cannot be read (%s)", type(error).__name__)
        return None


def _set_aside(box: mailbox.Maildir, key: str, raw: bytes) -> None:
    """Move a message out of the way into the maildir's folder of messages that could not be read
    (with BOUNCE_SET_ASIDE_DAYS 0: delete it; the log has said that one came, never what it says)."""
    if current_app.config["BOUNCE_SET_ASIDE_DAYS"] <= 0:
        box.discard(key)
        log.warning("bounce mailbox: deleted unread (BOUNCE_SET_ASIDE_DAYS is 0)")
        return
    log.warning("bounce mailbox: set aside in .%s", SET_ASIDE_FOLDER)
    try:
        aside = box.get_folder(SET_ASIDE_FOLDER)
    except mailbox.NoSuchMailboxError:
        aside = box.add_folder(SET_ASIDE_FOLDER)
    aside.add(raw)
    box.discard(key)


def forget_set_aside(folder: str, now: datetime) -> int:
    """Delete the messages set aside more than BOUNCE_SET_ASIDE_DAYS ago; return how many."""
    days = max(0, current_app.config["BOUNCE_SET_ASIDE_DAYS"])
    # Their age is their file's: the time they were set aside (Maildir.add writes the file then).
    cutoff = (now - timedelta(days=days)).replace(tzinfo=UTC).timestamp()
    deleted = 0
    for path in _set_aside_files(folder):
        try:
            if path.stat().st_mtime <= cutoff:
                path.unlink()
                deleted += 1
        except FileNotFoundError:
            continue  # another worker deleted it
    if deleted:
        log.info("bounce mailbox: set-aside messages deleted (older than %d days): %d", days, deleted)
    return deleted


def _set_aside_files(folder: str) -> Iterator[Path]:
    """The files of the messages set aside (new/ and cur/; tmp/ is the maildir's own, cleaned by it)."""
    aside = Path(folder) / f".{SET_ASIDE_FOLDER}"
    for part in ("new", "cur"):
        if (aside / part).is_dir():
            yield from (path for path in (aside / part).iterdir() if path.is_file())


def apply(report: reports.Report, now: datetime) -> str:
    """Do what a report calls for, in the session; say what it came to (for the log)."""
    if report.verdict not in (reports.Verdict.HARD, reports.Verdict.COMPLAINT):
        return "nothing to do"
    row = message_of(report)
    if row is None:
        return "about no message of ours"
    if row.bounced_at is not None:
        return "already acted on"
    row.bounced_at = now
    if report.verdict is reports.Verdict.HARD:
        _bounced(row, now)
    else:
        _complained(row, now)
    return f"message {row.id} ({row.kind})"


def message_of(report: reports.Report) -> OutboxMessage | None:
    """The sent message a report is about, by its return path; None for any report without a valid one.

    Only the return path's keyed token proves a report answers a message we
    sent. A Message-ID and an address are not proof: anyone who can guess them
    could forge a bounce to stop the letters to an official, or a supporter's
    mail. So a report whose MTA lost the return path is read and dropped.
    """
    for outbox_id, token in report.return_paths:
        if hmac.compare_digest(token, _token(outbox_id)):
            return _sent(select(OutboxMessage).where(OutboxMessage.id == outbox_id))
    return None


def _sent(query: Select[Any]) -> OutboxMessage | None:
    """The first sent message the query finds, locked: two readers of one report act on it once."""
    chosen = query.where(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_to_index.is_not(None))
    return db.session.execute(chosen.order_by(OutboxMessage.id).limit(1).with_for_update()).scalar()


def _bounced(row: OutboxMessage, now: datetime) -> None:
    """A hard bounce: the kind's own reaction (an official's address marked bad), else the address
    suppressed."""
    refused = kind_of(row.kind).on_refused
    if refused is not None:
        refused(row)
        return
    index = row.sent_to_index
    assert index is not None  # only sent messages are found
    suppressions.suppress(index, SuppressionReason.HARD_BOUNCE, now)
    cancel(select(OutboxMessage.id).where(OutboxMessage.recipient_index == index), suppressions.BOUNCED)


def _complained(row: OutboxMessage, now: datetime) -> None:
    """A complaint: the kind's own reaction (letters to an official's office paused), else all email to
    the address stops, as if its owner had stopped it on their page."""
    # Signing is loaded after mail (signing owes mail): its service is asked for here, when used.
    from campaign.signing.supporters import stop_all_email

    complained = kind_of(row.kind).on_complaint
    if complained is not None:
        complained(row)
        return
    index = row.sent_to_index
    assert index is not None  # only sent messages are found
    stop_all_email(index, now, SuppressionReason.COMPLAINT)
