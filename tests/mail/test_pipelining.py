"""Mail to a relay that offers PIPELINING (RFC 2920): the envelope and DATA go out in one write, two
round trips a message instead of four, and every reply is still read and judged as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from campaign.mail.transport import Outgoing, PermanentFailure, SmtpTransport, TemporaryFailure
from tests.support.workers import free_port

# A body with a line that is only a dot (the end of DATA, were it not stuffed), a line that starts
# with one, and Armenian in UTF-8.
BODY = "Բարև, Անահիտ:\r\n.\r\n..two dots\r\n.one dot\r\nThe end.\r\n".encode()


class Relay:
    """An SMTP server that offers PIPELINING or not, notes what the client had sent before it
    answered MAIL, and refuses at the stage a test asks."""

    def __init__(self, offers_pipelining: bool) -> None:
        self.offers_pipelining = offers_pipelining
        self.sent_ahead: list[bytes] = []
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refusals: dict[str, str] = {}

    async def handle_EHLO(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        if not self.offers_pipelining:
            return responses
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        # The commands already read from the socket and not yet answered: the client sent them
        # before it heard this reply.
        self.sent_ahead.append(bytes(server._reader._buffer))
        if "mail" in self.refusals:
            return self.refusals["mail"]
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if "rcpt" in self.refusals:
            return self.refusals["rcpt"]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if "data" in self.refusals:
            return self.refusals["data"]
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


@pytest.fixture(params=[True, False], ids=["pipelining", "one-by-one"])
def relay(request: pytest.FixtureRequest) -> Iterator[tuple[Relay, SmtpTransport]]:
    """A relay of the test's own (offering PIPELINING or not), and a transport to it."""
    handler = Relay(offers_pipelining=request.param)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    try:
        yield handler, SmtpTransport(f"smtp://127.0.0.1:{port}", timeout=5)
    finally:
        controller.stop()


def _message(recipient: str, smtputf8: bool = False) -> Outgoing:
    """A message from the platform to one recipient."""
    headers = f"From: campaigns@example.org\r\nTo: {recipient}\r\nSubject: Hi\r\n\r\n".encode()
    return Outgoing(
        data=headers + BODY,
        sender="campaigns@example.org",
        recipients=(recipient,),
        message_id="<m@example.org>",
        smtputf8=smtputf8,
    )


def test_each_message_arrives_whole_and_the_envelope_goes_ahead_where_offered(relay):
    handler, transport = relay
    for number in range(3):
        transport.send(_message(f"signer{number}@example.com"))

    assert [(sender, recipients) for sender, recipients, _ in handler.received] == [
        ("campaigns@example.org", [f"signer{number}@example.com"]) for number in range(3)
    ]
    assert all(content.endswith(BODY) for _, _, content in handler.received)
    # With PIPELINING, RCPT and DATA were on the wire before MAIL was answered; without it,
    # nothing was sent ahead of a reply.
    ahead = [b"RCPT TO:<signer" in sent and b"DATA\r\n" in sent for sent in handler.sent_ahead]
    assert ahead == [handler.offers_pipelining] * 3


def test_an_address_that_needs_smtputf8_is_sent_with_it(relay):
    handler, transport = relay
    transport.send(_message("անահիտ@example.am", smtputf8=True))

    assert handler.received[0][1] == ["անահիտ@example.am"]
    assert handler.received[0][2].endswith(BODY)


@pytest.mark.parametrize(
    ("stage", "reply", "failure"),
    [
        ("mail", "550 5.1.8 Sender address rejected", PermanentFailure),
        ("mail", "451 4.3.0 Try again later", TemporaryFailure),
        ("rcpt", "550 5.1.1 No such user", PermanentFailure),
        ("rcpt", "450 4.2.0 Mailbox busy", TemporaryFailure),
        ("data", "554 5.7.1 Message rejected", PermanentFailure),
        ("data", "452 4.3.1 Insufficient storage", TemporaryFailure),
    ],
)
def test_a_refusal_at_any_stage_is_judged_by_its_code_and_the_next_message_still_goes(
    relay, stage, reply, failure
):
    handler, transport = relay
    handler.refusals[stage] = reply
    with pytest.raises(failure):
        transport.send(_message("refused@example.com"))
    assert handler.received == []

    handler.refusals.clear()
    transport.send(_message("next@example.com"))
    assert [recipients for _, recipients, _ in handler.received] == [["next@example.com"]]
    assert handler.received[0][2].endswith(BODY)


def test_a_command_smuggled_into_an_address_adds_no_recipient(relay):
    handler, transport = relay
    transport.send(_message("victim@example.com\r\nRCPT TO:<other@example.com>"))
    assert [recipients for _, recipients, _ in handler.received] == [["victim@example.com"]]
