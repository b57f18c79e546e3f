"""Delivery from the outbox by a real Celery worker to a real SMTP server."""

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from campaign import clock, dispatch
from campaign.mail import sending
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.privacy import vault
from campaign.signing.models import Person, Signature
from campaign.signing.service import email_index
from tests.support.forms import csrf_token
from tests.support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("celery_worker")


def rows(db):
    db.session.expire_all()
    return db.session.execute(select(OutboxMessage)).scalars().all()


def row(db, email):
    """The one outbox row owed to the signer with this address (rows hold no address: found by reference)."""
    db.session.expire_all()
    return db.session.execute(
        select(OutboxMessage)
        .join(Signature, Signature.id == OutboxMessage.ref_id)
        .join(Person, Person.id == Signature.person_id)
        .where(OutboxMessage.kind == "confirmation", Person.email_index == email_index(email))
    ).scalar_one()


def row_by_key(db, dedupe_key):
    """The outbox row with this dedupe key."""
    db.session.expire_all()
    return db.session.execute(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
    ).scalar_one()


def test_the_confirmation_email_arrives_and_its_link_confirms(db, client, mailbox, make_campaign, sign):
    make_campaign(slug="recognize", title="Recognize Artsakh", goal=10)
    sign("recognize", email="anahit@example.org", country="FR")

    [message] = mailbox.wait_for("anahit@example.org")
    assert message["Subject"] == "Please confirm your signature: Recognize Artsakh"
    assert message["From"] == "Campaigns <campaigns@example.org>"
    assert message["Message-ID"] == row(db, "anahit@example.org").message_id
    assert row(db, "anahit@example.org").status == OutboxStatus.SENT
    link = re.search(r"http://localhost(/confirm/\S+)", message.get_content()).group(1)

    page = client.get(link)
    client.post(link, data={"csrf_token": csrf_token(page.get_data(as_text=True))})

    count = wait_until(
        lambda: (
            client.get("/campaigns/recognize/count.json").json["count"] == 1
            and client.get("/campaigns/recognize/count.json").json
        )
    )
    assert count["by_country"] == {"FR": 1}
    assert count["goal"] == 10
    assert count["updated_at"].endswith("Z")
    assert "1" in client.get("/campaigns/recognize").get_data(as_text=True)


def test_pumps_started_many_times_send_each_message_once(app, db, mailbox, make_campaign):
    with app.test_request_context():
        campaign = make_campaign()
        for index in range(20):
            mail.queue(
                kind="test",
                dedupe_key=f"once-{index}",
                recipient=f"once{index}@example.org",
                subject="Once",
                template="confirmation.txt",
                campaign=campaign,
                given_name="A",
                confirm_url="x",
            )
        db.session.commit()  # asks for one pump, after the commit
    with app.app_context():
        for _ in range(5):  # a redelivered task, a sweep, a second worker: all at once
            assert dispatch.publish(mail.PUMP_TASK, ())
    for index in range(20):
        mailbox.wait_for(f"once{index}@example.org")
    wait_until(lambda: all(r.status == OutboxStatus.SENT for r in rows(db)))
    time.sleep(0.5)
    assert len(mailbox.messages) == 20
    assert {r.attempts for r in rows(db)} == {1}


def test_a_temporary_refusal_is_retried_later_and_then_sent(app, db, client, mailbox, make_campaign, sign):
    make_campaign(slug="retry")
    mailbox.refuse("later@example.org", "451 4.3.0 Try again later")
    sign("retry", email="later@example.org")

    pending = wait_until(
        lambda: (r := row(db, "later@example.org")).attempts == 1 and r.status == OutboxStatus.PENDING and r
    )
    assert "451" in pending.last_error
    assert pending.next_attempt_at > clock.now() + timedelta(seconds=20)
    assert mailbox.to("later@example.org") == []

    # Time passes: the row falls due and the periodic sweep hands it over.
    db.session.execute(update(OutboxMessage).values(next_attempt_at=clock.now() - timedelta(seconds=1)))
    db.session.commit()
    with app.app_context():
        assert sending.sweep() == 1
    mailbox.wait_for("later@example.org")
    sent = wait_until(lambda: (r := row(db, "later@example.org")).status == OutboxStatus.SENT and r)
    assert sent.attempts == 2 and sent.last_error is None
    assert len(mailbox.to("later@example.org")) == 1


def test_a_permanent_refusal_fails_without_retrying(app, db, mailbox, make_campaign, sign):
    make_campaign(slug="bounce")
    mailbox.refuse("nobody@example.org", "550 5.1.1 No such user", "550 5.1.1 No such user")
    sign("bounce", email="nobody@example.org")

    failed = wait_until(lambda: (r := row(db, "nobody@example.org")).status == OutboxStatus.FAILED and r)
    assert "550" in failed.last_error
    assert failed.attempts == 1
    db.session.execute(update(OutboxMessage).values(next_attempt_at=clock.now() - timedelta(hours=1)))
    db.session.commit()
    with app.app_context():
        assert sending.sweep() == 0


def test_a_row_stuck_mid_send_is_reclaimed_by_the_sweep(app, db, mailbox):
    # A worker claimed this row an hour ago and died before sending it.
    db.session.add(
        OutboxMessage(
            kind="test",
            dedupe_key="stuck",
            sealed=vault.seal(
                mail.Composed(recipient="stuck@example.org", subject="Stuck", body="Hello").sealed_values(),
                purpose=mail.SEALED_PURPOSE,
                organization_id=None,
            ),
            message_id="<stuck@example.org>",
            status=OutboxStatus.SENDING,
            attempts=1,
            claimed_at=clock.now() - timedelta(hours=1),
        )
    )
    db.session.commit()
    with app.app_context():
        assert sending.sweep() == 1
    [message] = mailbox.wait_for("stuck@example.org")
    assert message["Message-ID"] == "<stuck@example.org>"
    assert wait_until(lambda: row_by_key(db, "stuck").status == OutboxStatus.SENT)
