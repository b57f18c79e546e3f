"""Posts to webhook endpoints go on a queue of their own, taken by a worker of their own (as
docker-compose.yml and `make run` start them): an endpoint that hangs holds that worker, never the
one that sends the mail; and `campaign doctor` names a queue no worker takes."""

from __future__ import annotations

import os
import uuid
from contextlib import ExitStack
from datetime import timedelta

from campaign import clock
from campaign.doctor.backlog import check_backlog
from campaign.mail.models import OutboxMessage
from campaign.taskqueue import DEFAULT_QUEUE, WEBHOOKS_QUEUE
from campaign.webhooks.models import WebhookDelivery
from tests.support.webhooks import HeldReceiver
from tests.support.workers import forget_keys, start_celery, start_together

# Each post may take this long: the endpoint's hold (10 s), not the timeout, ends it.
TIMEOUT_SECONDS = 30


def test_an_endpoint_that_hangs_does_not_hold_up_the_confirmation_mail(
    app, db, make_campaign, organization, register, sign, mailbox, tmp_path
):
    from campaign import create_app

    hanging = HeldReceiver(200)
    hanging.start()
    make_campaign(slug="recognize", organization_id=organization["organization"].id)
    register(organization["organization"], hanging.url, "signature.added")
    # A broker of the test's own, read by one worker per queue, each doing one thing at a time.
    prefix = f"{os.environ['REDIS_KEY_PREFIX']}queues-{uuid.uuid4().hex[:8]}:"
    env = {**os.environ, "REDIS_KEY_PREFIX": prefix, "WEBHOOK_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS)}
    site = create_app({"TESTING": True, "REDIS_KEY_PREFIX": prefix}).test_client()
    with ExitStack() as running:
        running.callback(forget_keys, prefix)
        start_together(
            running,
            start_celery("worker", env, tmp_path / "mail.log", queue=DEFAULT_QUEUE, concurrency=1),
            start_celery("worker", env, tmp_path / "webhooks.log", queue=WEBHOOKS_QUEUE, concurrency=1),
        )
        running.callback(hanging.stop)
        running.callback(hanging.release.set)  # first: the held post is let go before the workers stop

        assert sign("recognize", test_client=site, email="first@example.org").status_code == 303
        assert hanging.holding.wait(15)

        # The webhooks' worker is held by the endpoint; the next signer's mail comes all the same,
        # well before the endpoint lets go.
        assert sign("recognize", test_client=site, email="second@example.org").status_code == 303
        [confirmation] = mailbox.wait_for("second@example.org", timeout=5)
        assert "confirm" in confirmation["Subject"].lower()
        assert not hanging.release.is_set() and len(hanging.received) == 1


def test_the_doctor_names_the_queue_no_worker_takes(app, db, make_campaign, organization, register, receiver):
    campaign = make_campaign(slug="recognize", organization_id=organization["organization"].id)
    endpoint, _ = register(organization["organization"], receiver.url, "signature.added")

    # Written straight into the tables, as owed rows look when no worker takes their queue.
    def owe(ago: timedelta) -> None:
        due = clock.now() - ago
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event="signature.added",
                ref_id=int(ago.total_seconds()),  # one event per signature
                campaign_id=campaign.id,
                next_attempt_at=due,
            )
        )
        db.session.commit()

    owe(timedelta(minutes=1))
    assert [(f.is_ok, f.sentence) for f in check_backlog()] == [
        (True, "No email or webhook delivery has waited 10 minutes for a worker.")
    ]
    owe(timedelta(minutes=11))
    owe(timedelta(minutes=30))
    overdue = clock.now() - timedelta(minutes=11)
    db.session.add(OutboxMessage(kind="test", dedupe_key="doc", message_id="<d@t>", next_attempt_at=overdue))
    db.session.commit()
    assert [(f.is_ok, f.sentence) for f in check_backlog()] == [
        (
            False,
            "1 email has been due for more than 10 minutes: no worker takes the 'celery' queue, or the "
            "workers cannot keep up.",
        ),
        (
            False,
            "2 webhook deliveries have been due for more than 10 minutes: no worker takes the 'webhooks' "
            "queue (start one with --queues=webhooks), or they cannot keep up.",
        ),
    ]
