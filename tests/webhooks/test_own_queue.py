"""Posts to webhook endpoints go on a queue of their own, taken by a worker of their own (as
docker-compose.yml and `make run` start them): an endpoint that hangs holds that worker, never the
one that sends the mail."""

from __future__ import annotations

import os
import uuid
from contextlib import ExitStack

from campaign.taskqueue import DEFAULT_QUEUE, WEBHOOKS_QUEUE
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
