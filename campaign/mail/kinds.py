"""Kinds of message: each domain registers at start-up how its messages are written and what a refusal means.

A message to a supporter is owed by reference (the signature or letter it
is about) and written by its kind's composer only when it is sent, in the
worker, from the sealed data: no outbox row ever holds a supporter's address
or words in clear, and a message whose reason went away (a withdrawn
signature) is simply not sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from campaign.mail.models import OutboxMessage


@dataclass(frozen=True)
class Composed:
    """A message ready to be put into an email: who it goes to and what it says."""

    recipient: str
    subject: str
    body: str
    # Shown as the From display name (a signer writing to an official); the
    # address is always the platform's own.
    sender_name: str | None = None
    reply_to: str | None = None
    # The one-click unsubscribe link (RFC 8058) of mail sent to a list, such as updates to signers.
    list_unsubscribe: str | None = None

    def sealed_values(self) -> list[str]:
        """The fields in the order they are sealed into an outbox row."""
        return [
            self.recipient,
            self.subject,
            self.body,
            self.sender_name or "",
            self.reply_to or "",
            self.list_unsubscribe or "",
        ]

    @classmethod
    def from_values(cls, values: list[str]) -> Composed:
        """Read the fields back from their sealed order."""
        recipient, subject, body, sender_name, reply_to, unsubscribe = values
        return cls(recipient, subject, body, sender_name or None, reply_to or None, unsubscribe or None)


Attachment = tuple[str, str, str]  # file name, text subtype, content


@dataclass(frozen=True)
class Kind:
    """What mail needs to know of one kind of message."""

    # Writes the message of a row owed by reference; None: no longer owed, do not send. It only
    # reads: a plain "sent" is recorded on a connection of its own, not with the composer's session.
    compose: Callable[[OutboxMessage], Composed | None] | None = None
    # Text files attached when it is sent.
    attachments: Callable[[OutboxMessage], list[Attachment]] | None = None
    # Runs, in the same transaction, when the receiving server refused the message for good.
    on_refused: Callable[[OutboxMessage], None] | None = None
    # Runs, in the same transaction, when its recipient reported the message as spam; None: all email
    # to the address stops, as its owner's own stop would (campaign.mail.suppressions).
    on_complaint: Callable[[OutboxMessage], None] | None = None
    # Runs, in the same transaction, when the message was sent (a letter: its outreach.sent webhook).
    on_sent: Callable[[OutboxMessage], None] | None = None
    # Reads at once, before a batch of its rows is sent, what `compose` will need for each: one
    # read for the batch instead of one per message.
    read_ahead: Callable[[Sequence[OutboxMessage]], None] | None = None
    # Sent to an address whose owner stopped all email to it, or called our mail spam
    # (campaign.mail.suppressions): None, never; else at most once in this time (zero: always).
    despite_stop: timedelta | None = None


# despite_stop of what one needs for one's own account, or what is not the address owner's to stop
# (letters to an official's office): sent whatever the stop.
ALWAYS = timedelta(0)

_KINDS: dict[str, Kind] = {}


def register_kind(
    kind: str,
    *,
    compose: Callable[[OutboxMessage], Composed | None] | None = None,
    attachments: Callable[[OutboxMessage], list[Attachment]] | None = None,
    on_refused: Callable[[OutboxMessage], None] | None = None,
    on_complaint: Callable[[OutboxMessage], None] | None = None,
    on_sent: Callable[[OutboxMessage], None] | None = None,
    read_ahead: Callable[[Sequence[OutboxMessage]], None] | None = None,
    despite_stop: timedelta | None = None,
) -> None:
    """Tell mail how messages of this kind are written and what a refusal means (once, at import)."""
    _KINDS[kind] = Kind(
        compose=compose,
        attachments=attachments,
        on_refused=on_refused,
        on_complaint=on_complaint,
        on_sent=on_sent,
        read_ahead=read_ahead,
        despite_stop=despite_stop,
    )


def kind_of(kind: str) -> Kind:
    """What was registered for a kind (nothing: a message written in advance, with no reaction)."""
    return _KINDS.get(kind, Kind())
