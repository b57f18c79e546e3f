"""Bounces that arrive later: each message leaves with its own return path; the reports receiving
servers send back to it (RFC 3464 delivery status, RFC 5965 complaints) land in the bounce maildir,
and reading it marks officials' addresses bad, stops mail to signers' dead addresses and
unsubscribes those who complain.

Messages leave through the real worker and SMTP server; the reports are
built with the standard library as receiving servers write them.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from campaign import clock
from campaign.mail import bounces, sending, suppressions
from campaign.mail import service as mail
from campaign.mail.models import MailSuppression, OutboxMessage, OutboxStatus, SuppressionReason
from campaign.mail.transport import SmtpTransport
from campaign.signing import confirmation, messages
from campaign.signing.models import Person, Signature, SignatureStatus
from campaign.targets.models import Letter
from campaign.updates import service as updates
from tests.support.bounces import OFFICIAL, a_letter_sent, complaint, dsn, is_bad, sent
from tests.support.waiting import wait_until
from tests.support.workers import free_port

pytestmark = pytest.mark.usefixtures("celery_worker")


def test_a_bounce_arriving_later_marks_the_officials_address_bad_and_the_organizer_sees_it(
    db, team, mailbox, make_campaign, bounce_box
):
    campaign, official, row = a_letter_sent(db, make_campaign, mailbox, team.organization.id)
    assert not is_bad(db, official)

    # An hour later, the official's server sends the letter back.
    bounce_box.add(dsn(bounces.return_path(row.id), OFFICIAL, message_id=row.message_id))
    assert bounces.read_mailbox() == 1

    assert is_bad(db, official)
    assert db.session.execute(select(Letter.bounced_at)).scalar_one() is not None
    assert list(bounce_box.keys()) == []  # read once, then gone
    page = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}/letters")
    text = page.get_data(as_text=True)
    assert "address refused mail" in text
    assert "1 letters to officials" in text

    # The same report again (a second copy from the MTA) changes nothing more.
    bounce_box.add(dsn(bounces.return_path(row.id), OFFICIAL, message_id=row.message_id))
    assert bounces.read_mailbox() == 1
    assert db.session.execute(select(Letter.bounced_at)).scalar_one() is not None


def test_a_forged_bounce_or_a_delay_changes_nothing(db, mailbox, make_campaign, bounce_box):
    _, official, row = a_letter_sent(db, make_campaign, mailbox)
    genuine = bounces.return_path(row.id)
    assert genuine is not None
    forged = re.sub(r"-[0-9a-f]+@", "-0123456789ab@", genuine)
    bounce_box.add(dsn(forged, OFFICIAL, message_id=row.message_id))
    # A delay is no bounce: the server keeps trying.
    bounce_box.add(dsn(genuine, OFFICIAL, message_id=row.message_id, action="delayed", status="4.4.1"))
    assert bounces.read_mailbox() == 2
    assert not is_bad(db, official)
    assert db.session.execute(select(Letter.bounced_at)).scalar_one() is None
    assert list(bounce_box.keys()) == []


def test_a_report_without_our_return_path_changes_nothing_even_with_the_right_message_and_address(
    db, mailbox, make_campaign, bounce_box
):
    _, official, row = a_letter_sent(db, make_campaign, mailbox)
    # A harasser who guessed the letter's Message-ID and the official's address cannot stop the letters:
    # only the return path's keyed token proves a report answers a message we sent.
    bounce_box.add(dsn("postmaster@example.org", OFFICIAL, message_id=row.message_id))
    assert bounces.read_mailbox() == 1
    assert not is_bad(db, official)
    assert list(bounce_box.keys()) == []


def test_a_signers_hard_bounce_stops_their_mail_and_keeps_the_signature(
    db, mailbox, make_campaign, sign, bounce_box
):
    make_campaign(slug="petition")
    assert sign("petition", email="typo@example.org").status_code == 303
    mailbox.wait_for("typo@example.org")
    row = sent(db, "confirmation")

    bounce_box.add(dsn(bounces.return_path(row.id), "typo@example.org", message_id=row.message_id))
    assert bounces.read_mailbox() == 1

    signature = db.session.execute(select(Signature)).scalar_one()
    assert signature.status == SignatureStatus.PENDING  # the signature stays
    [suppression] = db.session.execute(select(MailSuppression)).scalars()
    assert suppression.reason == SuppressionReason.HARD_BOUNCE
    assert suppression.recipient_index == signature.person.email_index  # the keyed hash, no address
    # No fresh confirmation link to a dead address...
    assert not confirmation.resend_confirmation(signature.id)
    db.session.commit()
    # ...and what is owed to it anyway (signing again) is not sent, with the reason said.
    messages.owe_confirmation(signature.id, ":again", recipient_index=signature.person.email_index)
    db.session.commit()

    def not_sent() -> OutboxMessage | None:
        db.session.expire_all()
        again = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"confirm:{signature.id}:again")
        ).scalar_one()
        return again if again.status == OutboxStatus.FAILED else None

    assert wait_until(not_sent).last_error == suppressions.BOUNCED
    assert len(mailbox.to("typo@example.org")) == 1  # the first confirmation only
    assert db.session.get(Signature, signature.id) is not None


def test_a_complaint_unsubscribes_the_signer_and_stops_all_email_to_the_address(
    db, mailbox, make_campaign, sign, bounce_box
):
    campaign = make_campaign(slug="news")
    make_campaign(slug="later")
    assert sign("news", email="reader@example.org", email_opt_in="y").status_code == 303
    mailbox.wait_for("reader@example.org")
    row = sent(db, "confirmation")
    person_id = db.session.execute(select(Person.id)).scalar_one()
    assert db.session.execute(select(Signature.has_email_opt_in)).scalar_one()

    bounce_box.add(complaint(bounces.return_path(row.id), "reader@example.org", message_id=row.message_id))
    assert bounces.read_mailbox() == 1

    db.session.expire_all()
    assert updates.is_unsubscribed(campaign.id, person_id)
    assert not db.session.execute(select(Signature.has_email_opt_in)).scalar_one()
    assert suppressions.is_stopped(db.session.get_one(Person, person_id).email_index)
    # Whoever signs the address up again, no confirmation goes to it.
    assert sign("later", email="reader@example.org").status_code == 303

    def not_sent() -> OutboxMessage | None:
        db.session.expire_all()
        again = db.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "confirmation")
            .order_by(OutboxMessage.id.desc())
        ).first()[0]
        return again if again.status == OutboxStatus.FAILED else None

    assert wait_until(not_sent).last_error == suppressions.STOPPED
    assert len(mailbox.to("reader@example.org")) == 1


def test_unreadable_or_hostile_messages_are_set_aside_and_the_rest_still_read(
    db, mailbox, make_campaign, bounce_box
):
    _, official, row = a_letter_sent(db, make_campaign, mailbox)
    bounce_box.add(b"Content-Type: message/rfc822\n\n" * 3000)  # nested past the parser's limits
    bounce_box.add(b"Subject: huge\n\n" + b"x" * (bounces.MAX_REPORT_BYTES + 10))
    bounce_box.add(b"\x00\xff\xfe not a report at all")  # read, nothing to do, dropped
    bounce_box.add(dsn(bounces.return_path(row.id), OFFICIAL, message_id=row.message_id))

    assert bounces.read_mailbox() == 4

    assert is_bad(db, official)
    assert list(bounce_box.keys()) == []
    assert len(bounce_box.get_folder(bounces.SET_ASIDE_FOLDER)) == 2


class EnvelopeRecorder:
    """An SMTP server's handler that keeps each message's envelope sender and recipients."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the envelope."""
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"


def test_each_message_leaves_with_its_own_return_path(db, observer, bounce_box, monkeypatch):
    recorder = EnvelopeRecorder()
    port = free_port()
    server = Controller(recorder, hostname="127.0.0.1", port=port)
    transport = SmtpTransport(f"smtp://127.0.0.1:{port}", 5)
    monkeypatch.setitem(observer.extensions, "mail_transport", transport)
    monkeypatch.setitem(observer.config, "BOUNCE_DOMAIN", "bounces.example.net")
    # Owed for later, so that no worker sends them: this process does, below.
    later = clock.now() + timedelta(hours=1)
    ids = [
        mail.write(
            kind="test",
            dedupe_key=f"verp-{number}",
            recipient=f"reader{number}@example.org",
            subject="Hello",
            body="Hello.",
            due_at=later,
        )
        for number in range(2)
    ]
    db.session.commit()
    db.session.execute(update(OutboxMessage).values(next_attempt_at=clock.now()))
    db.session.commit()
    server.start()
    try:
        sending.pump(batch=10, seconds=5)
    finally:
        transport._close()
        server.stop()

    senders = {recipients[0]: sender for sender, recipients in recorder.envelopes}
    assert set(senders) == {"reader0@example.org", "reader1@example.org"}
    assert sorted(senders.values()) == sorted(bounces.return_path(number) for number in ids)
    for sender in senders.values():
        assert re.fullmatch(r"bounces\+\d+-[0-9a-f]{12}@bounces\.example\.net", sender)
        assert "reader" not in sender


class RowLockedAfterSending:
    """A transport that sends, then has another transaction hold the message's row for three
    seconds, longer than the pump's own connection waits for it (claims._LOCK_TIMEOUT)."""

    def __init__(self, transport: Any, database_url: str) -> None:
        self.transport, self.database_url = transport, database_url
        self.holders: list[threading.Thread] = []
        self.row_id = 0

    def send(self, message: Any, envelope_from: str | None = None) -> None:
        self.transport.send(message, envelope_from=envelope_from)
        holding = psycopg.connect(self.database_url)
        holding.execute("SELECT 1 FROM outbox WHERE id = %s FOR UPDATE", (self.row_id,))

        def release() -> None:
            time.sleep(3)
            holding.commit()
            holding.close()

        self.holders.append(threading.Thread(target=release))
        self.holders[-1].start()


def test_a_message_whose_row_is_held_when_it_is_sent_is_recorded_sent_once(
    db, observer, mailbox, monkeypatch, caplog
):
    # A plain "sent" is recorded on the pump's own connection, outside the session's
    # transaction; should something hold the row then (the session's own transaction
    # among them), it is recorded in the session instead: never left sending, never sent twice.
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    transport = RowLockedAfterSending(sending.transport(), url)
    monkeypatch.setitem(observer.extensions, "mail_transport", transport)
    later = clock.now() + timedelta(hours=1)  # owed for later, so that no worker sends it: this process does
    message_id = mail.write(
        kind="test",
        dedupe_key="held-row",
        recipient="held@example.org",
        subject="Hi",
        body="Hi.",
        due_at=later,
    )
    transport.row_id = message_id
    db.session.commit()
    db.session.execute(update(OutboxMessage).values(next_attempt_at=clock.now()))
    db.session.commit()

    assert sending.pump(batch=10, seconds=10) == 1
    for holder in transport.holders:
        holder.join()

    assert len(mailbox.wait_for("held@example.org")) == 1
    db.session.expire_all()
    row = db.session.get(OutboxMessage, message_id)
    assert (row.status, row.attempts, row.sealed) == (OutboxStatus.SENT, 1, None)
    assert row.sent_to_index == bounces.index_of("held@example.org")
    assert "recorded in the session" in caplog.text
