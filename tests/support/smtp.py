"""An SMTP server in the test process (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import logging
import threading
import time
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

# aiosmtpd logs every command, and the TLS handshakes some tests make fail on purpose, to
# "mail.log"; the tests judge what their SMTP servers received, not that chatter. Under
# pytest-xdist it would reach the run's output between tests.
logging.getLogger("mail.log").setLevel(logging.CRITICAL)


class _Handler:
    """Accepts mail, or refuses it the way a test asked; offers PIPELINING, as Postfix and the big
    relays do (aiosmtpd reads pipelined commands in order, but does not say so itself)."""

    def __init__(self, capture: SmtpCapture) -> None:
        self.capture = capture

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        reply = self.capture.reply_for(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.capture.keep(message, list(envelope.rcpt_tos))
        return "250 Message accepted"


class SmtpCapture:
    """A real SMTP server on localhost; tests read `messages` and set refusals."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self._refusals: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=port)

    def start(self) -> None:
        """Start listening."""
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()

    def reset(self) -> None:
        """Forget what was received and every refusal."""
        with self._lock:
            self.messages.clear()
            self.envelopes.clear()
            self._refusals.clear()

    def refuse(self, address: str, *replies: str) -> None:
        """Answer RCPT for this address with these replies, one per attempt, then accept."""
        with self._lock:
            self._refusals[address.lower()] = list(replies)

    def reply_for(self, address: str) -> str | None:
        """The refusal owed to this address now, if any."""
        with self._lock:
            queue = self._refusals.get(address.lower())
            return queue.pop(0) if queue else None

    def keep(self, message: EmailMessage, recipients: list[str]) -> None:
        """Record a received message."""
        with self._lock:
            self.messages.append(message)
            self.envelopes.append(recipients)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages received for one address."""
        with self._lock:
            return [
                m
                for m, rcpts in zip(self.messages, self.envelopes, strict=True)
                if address.lower() in (r.lower() for r in rcpts)
            ]

    def wait_for(self, address: str, count: int = 1, timeout: float = 15.0) -> list[EmailMessage]:
        """Wait until `count` messages reached the address; return them."""
        deadline = time.monotonic() + timeout
        while len(found := self.to(address)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} of {count} messages reached {address} in {timeout} s")
            time.sleep(0.05)
        return found
