"""Composing: the email an outbox row stands for, opened from its seal or written by its kind."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from flask import current_app

from campaign.mail.kinds import Composed, kind_of
from campaign.mail.models import OutboxMessage
from campaign.mail.service import SEALED_PURPOSE, address, header_safe
from campaign.privacy import vault


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
