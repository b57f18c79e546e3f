"""Reading what mail servers send back, with the standard library alone: delivery status
notifications (RFC 3464) and complaints (ARF, RFC 5965).

Nothing read here is trusted: a report only names the message it is about
(by the return path it was sent to, campaign.mail.bounces checks the token)
and what happened to it. Reading never touches the database.
"""

from __future__ import annotations

import email
import email.policy
import enum
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message

# A message's own return path: bounces+<outbox id>-<token>@domain (campaign.mail.bounces).
RETURN_PATH = re.compile(r"\bbounces\+([0-9]{1,18})-([0-9a-z]{1,64})@", re.IGNORECASE | re.ASCII)
# Where the address a report was delivered to shows: what the receiving MTA wrote (Postfix:
# Delivered-To, X-Original-To), else the report's own To.
_ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
# Feedback types that are not a complaint (RFC 5965, RFC 6650).
_NOT_COMPLAINTS = frozenset({"not-spam"})


class Verdict(enum.StrEnum):
    """What a report says of the message it is about."""

    HARD = "hard"  # failed for good (Action: failed, Status: 5.x.x)
    SOFT = "soft"  # delayed, or failed for now (4.x.x): nothing to do
    COMPLAINT = "complaint"  # the recipient called it spam
    OTHER = "other"  # no report we act on (an auto-reply, spam to the bounce address)


@dataclass(frozen=True)
class Report:
    """What one message of the bounce mailbox says, as far as it can be read."""

    verdict: Verdict
    # (outbox id, token) of every return path the report was delivered to or quotes: the only thing
    # that names the message (campaign.mail.bounces.message_of), so no address is read from it.
    return_paths: list[tuple[int, str]] = field(default_factory=list)


def read(raw: bytes) -> Report:
    """Read one message of the bounce mailbox (any bytes: what cannot be read is OTHER)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    report_type = _report_type(message)
    returned = _returned_headers(message)
    paths = _return_paths(message, _ENVELOPE_HEADERS) or _return_paths(returned, ("Return-Path",))
    if report_type == "delivery-status":
        verdict = _delivery_status(message)
    elif report_type == "feedback-report":
        verdict = _feedback(message)
    else:
        verdict = Verdict.OTHER
    return Report(verdict, list(dict.fromkeys(paths)))


def _report_type(message: Message) -> str:
    """The report-type of a multipart/report message, lower-case; empty for anything else."""
    if message.get_content_type() != "multipart/report":
        return ""
    return str(message.get_param("report-type", "") or "").strip().lower()


def _parts(message: Message, content_type: str) -> list[Message]:
    """The direct parts of a multipart message of this type."""
    if not message.is_multipart():
        return []
    found = message.get_payload()
    return [part for part in found if isinstance(part, Message) and part.get_content_type() == content_type]


def _blocks(message: Message, content_type: str) -> list[Message]:
    """The header blocks of the report part of this type (a message/delivery-status holds several)."""
    blocks: list[Message] = []
    for part in _parts(message, content_type):
        payload = part.get_payload()
        if isinstance(payload, list):
            blocks += [block for block in payload if isinstance(block, Message)]
    return blocks


def _delivery_status(message: Message) -> Verdict:
    """A DSN's verdict: hard if any recipient failed for good."""
    verdict = Verdict.OTHER
    for block in _blocks(message, "message/delivery-status"):
        action = _header(block, "Action").strip().lower()
        status = _header(block, "Status").strip()
        if not action:
            continue  # the per-message block (Reporting-MTA), not a recipient's
        if action == "failed" and status.startswith("5."):
            verdict = Verdict.HARD
        elif verdict is Verdict.OTHER and (action in ("failed", "delayed") or status.startswith("4.")):
            verdict = Verdict.SOFT
    return verdict


def _feedback(message: Message) -> Verdict:
    """An ARF report's verdict: a complaint unless it says not-spam."""
    blocks = _blocks(message, "message/feedback-report")
    if not blocks:
        return Verdict.OTHER
    feedback_type = _header(blocks[0], "Feedback-Type").strip().lower()
    if not feedback_type or feedback_type in _NOT_COMPLAINTS:
        return Verdict.OTHER
    return Verdict.COMPLAINT


def _returned_headers(message: Message) -> Message:
    """The headers of the message a report returns (message/rfc822 or text/rfc822-headers); empty if none."""
    for part in _parts(message, "message/rfc822"):
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0]
    for part in _parts(message, "text/rfc822-headers"):
        text = part.get_payload(decode=True)
        if isinstance(text, bytes):
            return email.message_from_bytes(text, policy=email.policy.default)
    return EmailMessage()


def _return_paths(message: Message, names: tuple[str, ...]) -> list[tuple[int, str]]:
    """The return paths (outbox id, token) in these headers of a message."""
    found: list[tuple[int, str]] = []
    for name in names:
        for value in message.get_all(name, []):
            found += [(int(number), token.lower()) for number, token in RETURN_PATH.findall(str(value))]
    return found


def _header(message: Message, name: str) -> str:
    """A header's value as text ('' without it)."""
    value = message.get(name)
    return "" if value is None else str(value)
