"""Composing messages: nothing a person typed can forge a header."""

from campaign.mail import composing, sending
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage


def test_line_breaks_and_nul_never_reach_a_header(app):
    assert mail.header_safe("Ana\r\nBcc: victim@example.org\x00") == "Ana Bcc: victim@example.org"
    with app.app_context():
        recipient = mail.address("Ana\nBcc: x@example.org", "ana@example.org")
        outgoing = composing.compose(
            OutboxMessage(kind="test", message_id=mail.message_id_for("k")),
            mail.Composed(recipient=recipient, subject="Hi\r\nX-Evil: 1", body="Hello"),
        )
    raw, message = outgoing.data.decode(), outgoing.read()
    assert "\nBcc:" not in raw and "\nX-Evil:" not in raw
    assert message["To"].addresses[0].addr_spec == "ana@example.org"
    assert outgoing.recipients == ("ana@example.org",)


def test_the_message_id_is_the_same_on_every_retry(app):
    with app.app_context():
        first = mail.message_id_for("confirm:42")
        assert first == mail.message_id_for("confirm:42")
        assert first != mail.message_id_for("confirm:43")
        assert first.endswith("@example.org>")


def test_backoff_grows_and_is_capped():
    delays = [sending.backoff(n).total_seconds() for n in range(1, 12)]
    assert delays[:4] == [30, 60, 120, 240]
    assert max(delays) == 7200
