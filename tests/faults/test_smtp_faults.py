"""The SMTP server fails: a temporary refusal (4xx) is retried and delivered once after recovery; a
permanent one (5xx) fails the message with its reason and is never tried again. Redis and RabbitMQ."""

import time
from datetime import timedelta

from sqlalchemy import select, update

from campaign import clock
from campaign.mail.models import OutboxMessage, OutboxStatus
from tests.support.waiting import wait_until

SIGNERS = 5


def outbox(db):
    """Every outbox row, freshly read."""
    db.session.expire_all()
    return db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_a_temporarily_refusing_server_gets_each_message_once_after_it_recovers(stack, db, make_campaign):
    make_campaign(slug="smtp-4xx")
    stack.smtp.answer = "451 4.3.0 Mailbox temporarily unavailable"
    stack.processes.start("beat", "beat", OUTBOX_SWEEP_SECONDS="1")
    stack.processes.start("worker", "worker")
    addresses = stack.sign("smtp-4xx", range(SIGNERS))

    waiting = wait_until(
        lambda: (
            (rows := outbox(db))
            and all(r.status == OutboxStatus.PENDING and r.attempts == 1 for r in rows)
            and rows
        ),
        timeout=30,
    )
    assert len(waiting) == SIGNERS
    assert all("451" in row.last_error for row in waiting)
    # Backed off, not hammering the server: the next attempt is half a minute away.
    assert all(row.next_attempt_at > clock.now() + timedelta(seconds=20) for row in waiting)
    assert stack.smtp.messages == []

    # The server recovers and the back-off runs out: beat's sweep hands the rows over again.
    stack.smtp.answer = None
    db.session.execute(update(OutboxMessage).values(next_attempt_at=clock.now()))
    db.session.commit()
    wait_until(lambda: all(stack.smtp.to(address) for address in addresses), timeout=60, interval=0.2)
    time.sleep(3)  # further sweeps: nothing more may arrive

    assert all(len(stack.smtp.to(address)) == 1 for address in addresses)
    sent = outbox(db)
    assert {(row.status, row.attempts, row.last_error) for row in sent} == {(OutboxStatus.SENT, 2, None)}


def test_a_permanently_refusing_server_fails_each_message_once_with_its_reason(stack, db, make_campaign):
    make_campaign(slug="smtp-5xx")
    stack.smtp.answer = "550 5.1.1 No such mailbox"
    stack.processes.start("beat", "beat", OUTBOX_SWEEP_SECONDS="1")
    stack.processes.start("worker", "worker")
    addresses = stack.sign("smtp-5xx", range(SIGNERS))

    failed = wait_until(
        lambda: (rows := outbox(db)) and all(r.status == OutboxStatus.FAILED for r in rows) and rows,
        timeout=30,
    )
    assert len(failed) == SIGNERS
    # The reply's code is the reason kept (its text may echo the address, which is not kept).
    assert all("550" in row.last_error for row in failed)
    # Sweeps run every few seconds (OUTBOX_SWEEP_SECONDS is 1 here): none tries a failed message again.
    time.sleep(4)
    assert [row.attempts for row in outbox(db)] == [1] * SIGNERS
    assert [stack.smtp.attempts[address] for address in addresses] == [1] * SIGNERS
    assert stack.smtp.messages == []
