"""The two ways a message is written read the same to a mail reader, over hostile and many-language input.

Most mail is written with the email package's classic API (composing.plain); attachments and
addresses that need SMTPUTF8 with EmailMessage. A reader must not be able to tell which.
"""

# ruff: noqa: RUF001

import pytest

from campaign.mail import composing
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage
from campaign.mail.transport import Outgoing

ARMENIAN = "Ճանաչե՛ք Արցախի Հանրապետությունը"
RUSSIAN = "Признайте Республику Арцах"
LONG_LINE = "word " * 300  # 1,500 characters on one line: more than SMTP carries as it is

CASES = {
    "plain English": dict(name="Ani", subject="Please confirm", body="Hello Ani,\n\nConfirm here.\n"),
    "Armenian": dict(name="Անի Պետրոսյան", subject=ARMENIAN, body=f"Բարև, Անի։\n\n{ARMENIAN}\n"),
    "Russian, long subject": dict(name="Анна", subject=(RUSSIAN + " ") * 6, body=RUSSIAN * 3),
    "French accents": dict(name="Zoé d'Arcy", subject="Reconnaissez l'Artsakh", body="Merci, Zoé.\n"),
    "quotes and commas in a name": dict(name='Ani "the" Brave, Jr.', subject="Hi", body="x"),
    "backslash in a name": dict(name="Ani \\ B", subject="Hi", body="x"),
    "header injection": dict(
        name="Ani\r\nBcc: victim@example.org", subject="Hi\r\nX-Evil: 1", body="Hello\r\nBcc: no\r\n"
    ),
    "long line": dict(name="Ani", subject="Letter", body=LONG_LINE + "\nend\n"),
    "long Armenian line": dict(name="Ani", subject="Letter", body=(ARMENIAN + " ") * 60),
    "dots and From lines": dict(name="Ani", subject="Dots", body=".\n..\nFrom here\n.\n"),
    "emoji and joiners": dict(name="Ani 🇦🇲", subject="Ani\u200d🌍 thanks", body="🇦🇲\u200c text"),
    "carriage returns in the body": dict(name="Ani", subject="CR", body="one\rtwo\r\nthree\n"),
    "empty body": dict(name="", subject="Nothing", body=""),
}


def _row(key):
    return OutboxMessage(kind="test", message_id=mail.message_id_for(key))


def _as_read(outgoing):
    """What a reader sees: the headers that matter (the Date aside) and the text."""
    message = outgoing.read()
    seen = {
        name: [(a.display_name, a.addr_spec) for a in message[name].addresses]
        for name in ("From", "To", "Reply-To")
        if message[name] is not None
    }
    for name in ("Subject", "Message-ID", "Auto-Submitted", "List-Unsubscribe", "List-Unsubscribe-Post"):
        seen[name] = str(message[name]) if message[name] is not None else None
    # SMTP ends lines with CRLF; a reader's text has its own line ends.
    seen["text"] = message.get_content().replace("\r\n", "\n")
    seen["type"] = message.get_content_type()
    return seen


@pytest.mark.parametrize("case", CASES)
def test_the_classic_and_the_modern_message_read_the_same(app, case):
    values = CASES[case]
    with app.app_context():
        content = mail.Composed(
            recipient=mail.address(values["name"], "ani.petrosyan@example.org"),
            subject=values["subject"],
            body=values["body"],
            sender_name=values["name"] or None,
            reply_to=mail.address(values["name"], "reply@example.org"),
            list_unsubscribe="https://campaigns.example.org/u/" + "T" * 90,
        )
        row = _row(case)
        classic = composing.plain(row, content)
        modern = Outgoing.of(composing.compose_message(row, content))
    assert classic is not None  # every case here is one the classic API writes
    assert _as_read(classic) == _as_read(modern)
    assert (classic.sender, classic.recipients) == (modern.sender, modern.recipients)
    assert classic.recipients == ("ani.petrosyan@example.org",)
    for raw in (classic.data, modern.data):
        lines = raw.split(b"\r\n")
        assert max(len(line) for line in lines) <= 998
        assert b"\n" not in raw.replace(b"\r\n", b"")  # every line ends as SMTP wants it
        assert all(line.isascii() for line in lines[: lines.index(b"")])  # headers in ASCII
        headers = [line.split(b":")[0] for line in lines[: lines.index(b"")] if line[:1] not in b" \t"]
        assert b"Bcc" not in headers and b"X-Evil" not in headers


def test_an_address_that_needs_smtputf8_is_written_as_emailmessage_and_a_link_is_never_folded(app):
    with app.app_context():
        unicode_address = mail.Composed(
            recipient=mail.address("Ani", "անի@example.org"), subject="s", body="b"
        )
        assert composing.plain(_row("u"), unicode_address) is None
        sent = composing.compose(_row("u"), unicode_address)
        assert sent.smtputf8 and sent.recipients == ("անի@example.org",)
        assert "\r\nTo: Ani <անի@example.org>\r\n".encode() in sent.data  # UTF-8 headers (RFC 6532)

        link = "https://x.example/u?a=1;b=2,c=3&d=" + "4" * 80
        folding = mail.Composed(recipient="ani@example.org", subject="s", body="b", list_unsubscribe=link)
        sent = composing.compose(_row("f"), folding)
        assert f"\r\nList-Unsubscribe: <{link}>\r\n".encode() in sent.data


def test_a_name_typed_as_an_encoded_word_is_not_read_as_another_name(app):
    # Decoded, it would show "Minister of Defence" beside the supporter's address.
    typed = "=?utf-8?q?Minister_of_Defence?="
    with app.app_context():
        content = mail.Composed(recipient=mail.address(typed, "ani@example.org"), subject="s", body="b")
        [to] = composing.compose(_row("e"), content).read()["To"].addresses
    assert (to.display_name, to.addr_spec) == ("= ?utf-8?q?Minister_of_Defence?=", "ani@example.org")
