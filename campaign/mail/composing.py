"""Composing: the email an outbox row stands for, opened from its seal or written by its kind.

Most messages are one part of text between ASCII addresses: those are written
with the email package's classic API (MIMENonMultipart, Charset, formataddr) straight
to the bytes that go out, which costs the worker a third of building an
EmailMessage and parsing its addresses back out to send it. A message with
attachments, or an address that needs SMTPUTF8, is built as an EmailMessage.
Both read the same to any mail reader (tests/mail/test_composing.py).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import Compat32
from email.utils import formataddr, formatdate, parseaddr
from typing import Any

from flask import current_app

from campaign.mail.kinds import Composed, kind_of
from campaign.mail.models import OutboxMessage
from campaign.mail.service import SEALED_PURPOSE, address, header_safe, platform_address
from campaign.mail.transport import Outgoing
from campaign.privacy import vault


class _Wire(Compat32):
    """The classic policy, lines ended for SMTP, headers folded at 78 characters where they have room
    (RFC 5322); but never the unsubscribe link, which receivers read whole (as EmailMessage's below)."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        """Fold a header, except the one link."""
        line = f"{name}: {value}"
        if name.lower() == "list-unsubscribe" or (len(line) <= 78 and line.isascii() and line.isprintable()):
            # Nothing to fold or encode (most headers): the classic folding's machinery costs more.
            return f"{line}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_WIRE = _Wire(linesep="\r\n")
# A body with a line longer than SMTP allows (998) is sent quoted-printable, which wraps it losslessly.
_SMTP_LINE = 998
_LINE_ENDS = re.compile(r"\r\n|\r")
_ASCII, _UTF8 = Charset("us-ascii"), Charset("utf-8")
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP
_ENCODED_WORD_MAX = 75  # RFC 2047, section 2


def composed(row: OutboxMessage) -> Composed | None:
    """What an outbox row says: opened from its seal, or written now by its kind; None if no longer owed."""
    if row.sealed is not None:
        return Composed.from_values(vault.open_values(row.sealed, purpose=SEALED_PURPOSE))
    writer = kind_of(row.kind).compose
    return None if writer is None or row.ref_id is None else writer(row)


def compose(row: OutboxMessage, content: Composed) -> Outgoing:
    """The email of an outbox row, ready for the wire."""
    attach = kind_of(row.kind).attachments
    attachments = attach(row) if attach else []
    if not attachments:
        outgoing = plain(row, content)
        if outgoing is not None:
            return outgoing
    return Outgoing.of(compose_message(row, content, attachments))


def _sender(content: Composed) -> str:
    """The From of a message: the platform, or someone writing through it (their name, our address)."""
    if content.sender_name:
        return address(content.sender_name, platform_address())
    return str(current_app.config["MAIL_FROM"])


def _headers(row: OutboxMessage, content: Composed, sender: str) -> list[tuple[str, str]]:
    """The headers of a message, in order, as text (addresses not yet encoded)."""
    headers = [
        ("From", sender),
        ("To", content.recipient),
        ("Subject", header_safe(content.subject)),
        ("Date", formatdate(localtime=False)),
        ("Message-ID", row.message_id),
        ("Auto-Submitted", "auto-generated"),
    ]
    if content.reply_to:
        headers.append(("Reply-To", content.reply_to))
    if content.list_unsubscribe:
        # RFC 8058 one-click unsubscribe: the receiver POSTs to this link.
        link = "".join(ch for ch in header_safe(content.list_unsubscribe) if ch not in "<> ")
        headers.append(("List-Unsubscribe", f"<{link}>"))
        headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return headers


_ADDRESS_HEADERS = frozenset({"From", "To", "Reply-To"})


def plain(row: OutboxMessage, content: Composed) -> Outgoing | None:
    """A one-part message between ASCII addresses, written with the classic API; None if it is not one."""
    if content.list_unsubscribe and not content.list_unsubscribe.isascii():
        return None
    addresses: dict[str, str] = {}
    headers = []
    for name, value in _headers(row, content, _sender(content)):
        if name in _ADDRESS_HEADERS:
            # The platform's own From is the same on every message: encoded once.
            encoded = _platform_from(value) if name == "From" and not content.sender_name else _encoded(value)
            if encoded is None:
                return None
            value, addresses[name] = encoded
        headers.append((name, value))
    # Lines ended alike and a last line ended, as EmailMessage.set_content writes a text.
    body = _LINE_ENDS.sub("\n", content.body)
    message = MIMENonMultipart("text", "plain")
    message.set_payload(body if body.endswith("\n") else body + "\n", _charset_of(body))
    for name, value in headers:
        message[name] = value
    return Outgoing(
        data=message.as_bytes(policy=_WIRE),
        sender=addresses["From"],
        recipients=(addresses["To"],),
        message_id=row.message_id,
    )


def _encoded(value: str) -> tuple[str, str] | None:
    """An address header's value with its display name in RFC 2047 words where it is not ASCII, and its
    address; None where the address is not plain ASCII (then it takes SMTPUTF8, and an EmailMessage)."""
    display, spec = parseaddr(value)
    if not spec or not spec.isascii() or "@" not in spec or "=?" in display:
        # A name typed as an encoded word would be read decoded: EmailMessage encodes it as typed.
        return None
    if display.isascii():
        return formataddr((display, spec)), spec
    word = _UTF8.header_encode(display)
    if len(word) > _ENCODED_WORD_MAX:
        # RFC 2047 sets 75 characters as an encoded word's most: a long name is cut into several, on
        # whole characters, each on a line of its own with the longest address header's name before it.
        header = Header(display, _UTF8, maxlinelen=_ENCODED_WORD_MAX + 1, header_name="Reply-To")
        word = " ".join(header.encode().split())
    return f"{word} <{spec}>", spec


_platform_from = functools.lru_cache(maxsize=8)(_encoded)


def _charset_of(body: str) -> Charset:
    """us-ascii where the body is ASCII with lines SMTP carries as they are; UTF-8 (base64) where it is
    not; quoted-printable where a line is too long to send as it is."""
    if any(len(line) > _SMTP_LINE for line in body.splitlines()):
        return _UTF8_QP
    return _ASCII if body.isascii() else _UTF8


def compose_message(
    row: OutboxMessage, content: Composed, attachments: Sequence[tuple[str, str, str]] = ()
) -> EmailMessage:
    """The email of an outbox row as an EmailMessage: for attachments and addresses that need SMTPUTF8."""
    message = EmailMessage()
    for name, value in _headers(row, content, _sender(content)):
        message[name] = value
    message.set_content(content.body)
    for filename, subtype, text_content in attachments:
        message.add_attachment(text_content, subtype=subtype, filename=filename)
    if content.list_unsubscribe:
        # A link longer than a folded line would otherwise become RFC 2047
        # encoded words, which receivers do not decode in this header.
        message.policy = message.policy.clone(max_line_length=998)
    return message
