"""Getting a composed message out: over SMTP, or into a folder on disk."""

from __future__ import annotations

import contextlib
import email.policy
import re
import smtplib
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import getaddresses
from pathlib import Path
from typing import Protocol, cast
from urllib.parse import unquote, urlsplit


class TemporaryFailure(Exception):
    """The server or the network failed in a way worth retrying (4xx, a dropped connection)."""


class PermanentFailure(Exception):
    """The server refused the message for good (5xx)."""


def needs_smtputf8(message: EmailMessage) -> bool:
    """Tell whether an address of the message has characters other than ASCII (before the @)."""
    addresses = [
        address.addr_spec
        for name in ("From", "To", "Cc", "Reply-To")
        for header in message.get_all(name, [])
        for address in getattr(header, "addresses", ())
    ]
    return not all(address.isascii() for address in addresses)


def as_bytes(message: EmailMessage, linesep: str = "\n") -> bytes:
    """The message as it goes over the wire; headers in UTF-8 where an address needs it (RFC 6532)."""
    policy = cast(EmailPolicy, message.policy).clone(linesep=linesep)
    return message.as_bytes(policy=policy.clone(utf8=True) if needs_smtputf8(message) else policy)


@dataclass(frozen=True)
class Outgoing:
    """A message ready for the wire: its bytes (CRLF line ends), and the addresses of its envelope.

    The outbox composes most mail straight to this (campaign.mail.composing):
    building and flattening an EmailMessage, then parsing its addresses back
    out of it to send it, was half of what a message cost the worker.
    """

    data: bytes
    sender: str
    recipients: tuple[str, ...]
    message_id: str
    smtputf8: bool = False

    @classmethod
    def of(cls, message: EmailMessage) -> Outgoing:
        """An EmailMessage made ready (one with attachments, or an address that needs SMTPUTF8)."""
        senders = getaddresses([str(header) for header in message.get_all("From", [])])
        recipients = getaddresses(
            [str(header) for name in ("To", "Cc") for header in message.get_all(name, [])]
        )
        return cls(
            data=as_bytes(message, linesep="\r\n"),
            sender=senders[0][1] if senders else "",
            recipients=tuple(address for _, address in recipients if address),
            message_id=str(message["Message-ID"] or ""),
            smtputf8=needs_smtputf8(message),
        )

    def read(self) -> EmailMessage:
        """The message as a mail reader reads it."""
        return cast(EmailMessage, message_from_bytes(self.data, policy=email.policy.default))


def _outgoing(message: EmailMessage | Outgoing) -> Outgoing:
    """What a transport sends: the message itself if it is ready, else made ready."""
    return message if isinstance(message, Outgoing) else Outgoing.of(message)


class Transport(Protocol):
    """Anything that can hand a message over."""

    def send(self, message: EmailMessage | Outgoing, envelope_from: str | None = None) -> None:
        """Deliver the message (from this envelope sender, else its From) or raise TemporaryFailure or
        PermanentFailure."""


class FileTransport:
    """Keeps each message as an .eml file: the embedded default, read by the dev mail page."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage | Outgoing, envelope_from: str | None = None) -> None:
        """Write the message to a file named after its Message-ID (a file has no envelope sender)."""
        outgoing = _outgoing(message)
        self.folder.mkdir(parents=True, exist_ok=True)
        name = outgoing.message_id.strip("<>").replace("/", "_")
        path = self.folder / f"{name}.eml"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(outgoing.data.replace(b"\r\n", b"\n"))
        temporary.replace(path)


class SmtpTransport:
    """Sends over one SMTP connection per thread, reopened when the server drops it.

    smtps:// and smtp+starttls:// check the server's certificate and host name
    against the system's CAs, or only those in `ca_file` when given.
    """

    def __init__(self, url: str, timeout: float, ca_file: str | None = None) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.use_ssl = parts.scheme == "smtps"
        self.use_starttls = parts.scheme == "smtp+starttls"
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.ca_file = ca_file
        self._local = threading.local()

    def send(self, message: EmailMessage | Outgoing, envelope_from: str | None = None) -> None:
        """Send the message (from this envelope sender, else its From); reconnect once if a reused
        connection has gone stale."""
        outgoing = _outgoing(message)
        attempts = 2 if getattr(self._local, "connection", None) is not None else 1
        for attempt in range(attempts):
            try:
                self._send(outgoing, envelope_from)
                return
            except smtplib.SMTPServerDisconnected:
                self._close()
                if attempt == attempts - 1:
                    raise TemporaryFailure("server disconnected") from None
            except Exception:
                self._close()
                raise

    def _send(self, message: Outgoing, envelope_from: str | None) -> None:
        """Send on the thread's connection, classifying what the server answers."""
        connection = self._connection()
        try:
            options: tuple[str, ...] = ()
            if message.smtputf8:
                # As smtplib's send_message does for such a message.
                connection.ehlo_or_helo_if_needed()
                if not connection.has_extn("smtputf8"):
                    raise smtplib.SMTPNotSupportedError("SMTPUTF8 not offered")
                options = ("SMTPUTF8", "BODY=8BITMIME")
            refused = _sendmail(
                connection, envelope_from or message.sender, message.recipients, message.data, options
            )
        except smtplib.SMTPRecipientsRefused as error:
            code = max(code for code, _ in error.recipients.values())
            raise _classified(code, "recipient refused") from None
        except smtplib.SMTPResponseException as error:
            raise _classified(error.smtp_code, "server refused") from None
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPNotSupportedError:
            # An address with characters other than ASCII needs SMTPUTF8; this server does not offer it.
            raise PermanentFailure(
                "the SMTP server does not offer SMTPUTF8, which an address with characters other than"
                " ASCII before the @ needs (or set SMTPUTF8_ENABLED=0 to refuse such addresses in the forms)"
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryFailure(type(error).__name__) from None
        if refused:  # one recipient per message, so any refusal is the whole message
            code = max(code for code, _ in refused.values())
            raise _classified(code, "recipient refused")

    def _connection(self) -> smtplib.SMTP:
        """Open (or reuse) this thread's connection."""
        connection: smtplib.SMTP | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        try:
            if self.use_ssl:
                connection = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self._tls_context()
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.use_starttls:
                    connection.starttls(context=self._tls_context())
            if self.username and self.password:
                connection.login(self.username, self.password)
        except ssl.SSLCertVerificationError as error:
            # Never retried without verification: the password and the mail would go to whoever answered.
            raise TemporaryFailure(
                f"cannot connect: the certificate of {self.host} could not be verified"
                f" ({error.verify_message})"
            ) from None
        except smtplib.SMTPResponseException as error:
            raise _classified(error.smtp_code, "server refused the session") from None
        except (OSError, smtplib.SMTPException) as error:
            raise TemporaryFailure(f"cannot connect: {type(error).__name__}") from None
        self._local.connection = connection
        return connection

    def _tls_context(self) -> ssl.SSLContext:
        """A TLS context that checks the certificate chain and the host name."""
        try:
            return ssl.create_default_context(cafile=self.ca_file)
        except OSError as error:  # a missing file, or one that holds no certificate
            raise TemporaryFailure(f"cannot read the CA file {self.ca_file}: {error}") from None

    def _close(self) -> None:
        """Drop this thread's connection."""
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()


def _sendmail(
    connection: smtplib.SMTP, sender: str, recipients: tuple[str, ...], data: bytes, options: tuple[str, ...]
) -> dict[str, tuple[int, bytes]]:
    """smtplib's sendmail, with MAIL, RCPT and DATA sent in one write where the server offers
    PIPELINING (RFC 2920): two round trips a message instead of four (a relay far away answers each).

    Each reply is still read and judged in order, as sendmail does; whatever it raises, the caller
    drops the connection, so no reply is left unread on one that is used again.
    """
    connection.ehlo_or_helo_if_needed()
    if not connection.has_extn("pipelining"):
        return connection.sendmail(sender, list(recipients), data, mail_options=list(options))
    arguments = [*options, f"SIZE={len(data)}"] if connection.has_extn("size") else list(options)
    if "SMTPUTF8" in options:
        connection.command_encoding = "utf-8"  # as smtplib's mail() does for SMTPUTF8
    commands = [f"MAIL FROM:{smtplib.quoteaddr(sender)} {' '.join(arguments)}".rstrip()]
    commands += [f"RCPT TO:{smtplib.quoteaddr(recipient)}" for recipient in recipients]
    if any("\r" in command or "\n" in command for command in commands):
        raise ValueError("command and arguments contain prohibited newline characters")  # as putcmd
    connection.send("".join(f"{command}\r\n" for command in [*commands, "DATA"]))
    code, reply = connection.getreply()
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused: dict[str, tuple[int, bytes]] = {}
    for recipient in recipients:
        code, reply = connection.getreply()
        if code not in (250, 251):
            refused[recipient] = (code, reply)
        if code == 421:  # the server is closing the session: the DATA reply will not come
            raise smtplib.SMTPRecipientsRefused(refused)
    code, reply = connection.getreply()
    if len(refused) == len(recipients):
        raise smtplib.SMTPRecipientsRefused(refused)
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    body = re.sub(rb"(?m)^\.", b"..", data)  # dot-stuffing, as smtplib's data() does
    connection.send(body + (b".\r\n" if body.endswith(b"\r\n") else b"\r\n.\r\n"))
    code, reply = connection.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)
    return refused


def _classified(code: int, what: str) -> Exception:
    """Turn an SMTP reply code into a temporary or permanent failure."""
    if 500 <= code < 600:
        return PermanentFailure(f"{what}: {code}")
    return TemporaryFailure(f"{what}: {code}")
