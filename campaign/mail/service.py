"""Owing mail: a message queued inside the transaction that owes it, bounded per address, and the
headers it is written with. It leaves after the commit (campaign.mail.sending).

The names other domains use of mail are here: their messages' kinds
(register_kind, Composed) and what they may ask of the outbox (cancel,
state_of, sent_at_of, about) are mail's own, imported from where they live.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from typing import Any

import idna
from flask import current_app, render_template
from sqlalchemy import case, func, select, text

from campaign import clock, dispatch, task_names
from campaign.extensions import db
from campaign.mail.kinds import ALWAYS, Composed, register_kind
from campaign.mail.models import OutboxMessage
from campaign.mail.outbox import about, cancel, sent_at_of, state_of
from campaign.privacy import vault
from campaign.signing.emails import canonical_email
from campaign.validation import reads_as_address_mark

log = logging.getLogger(__name__)

__all__ = ["ALWAYS", "Composed", "about", "cancel", "register_kind", "sent_at_of", "state_of"]

PUMP_TASK = task_names.MAIL_PUMP
# What sealed outbox rows are (campaign.privacy.vault).
SEALED_PURPOSE = "outbox"
# Every commit that owes mail asks for a pump; a fifth of a second of them share one.
dispatch.coalesce(PUMP_TASK, seconds=0.2)


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
    """A name fit to be shown beside an address: nothing that reads as '<', '>' or '@' (fullwidth
    forms too), so that it cannot pose as an address, and no '=?', so that no reader decodes it
    as an encoded word into another name (RFC 2047)."""
    return short_name("".join(" " if reads_as_address_mark(ch) else ch for ch in name).replace("=?", "= ?"))


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
    list_unsubscribe: str | None = None,
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
        list_unsubscribe=list_unsubscribe,
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
# A statement of the caller's own may take it (parameters: recipient_lock_values), before
# anything it locks itself, and then tell owe() so; the one-statement sign does.
RECIPIENT_LOCK = (
    "SELECT pg_advisory_xact_lock(CAST(:mail_lock_namespace AS integer), CAST(:mail_lock_key AS integer))"
)
_LOCK_RECIPIENT = text(RECIPIENT_LOCK)
_LOCK_NAMESPACE = 0x6D61696C  # "mail"


def recipient_lock_values(recipient_index: str) -> dict[str, int]:
    """The parameters of RECIPIENT_LOCK for this address."""
    return {"mail_lock_namespace": _LOCK_NAMESPACE, "mail_lock_key": int(recipient_index[:8], 16) - 2**31}


def owe(
    *,
    kind: str,
    dedupe_key: str,
    ref_id: int,
    due_at: datetime | None = None,
    now: datetime | None = None,
    recipient_index: str | None = None,
    is_recipient_locked: bool = False,
) -> int | None:
    """Owe a message about `ref_id`, written by its kind's composer when sent; None if not owed.

    With the recipient's `recipient_index`, the message is owed only while
    that address is under its bound (see over_bound); otherwise, or if a
    message with this key is owed already, nothing is written.
    `is_recipient_locked`: this transaction took RECIPIENT_LOCK for the
    address already, in a statement of its own.
    """
    return _insert(kind, dedupe_key, ref_id, None, due_at, now, recipient_index, is_recipient_locked)


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
    is_recipient_locked: bool = False,
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
        if not is_recipient_locked and db.session.get_bind().dialect.name == "postgresql":
            # Held to the commit; SQLite writes one transaction at a time anyway.
            db.session.execute(_LOCK_RECIPIENT, recipient_lock_values(recipient_index))
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
    domain = platform_address().rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


def platform_address() -> str:
    """The address of MAIL_FROM, the platform's own."""
    return _address_in(current_app.config["MAIL_FROM"])


@functools.lru_cache(maxsize=8)
def _address_in(value: str) -> str:
    """The address of a configured 'Name <address>', parsed once (every sign and message asks)."""
    return parseaddr(value)[1]
