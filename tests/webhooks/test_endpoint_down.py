"""The issue's "done when", for real: an endpoint down for a stretch of real time gets the event once it is
back, through a real worker and beat's sweeps, signed and exactly once."""

from __future__ import annotations

import os
import time
import uuid
from contextlib import ExitStack

from campaign.webhooks.models import DeliveryStatus, WebhookEndpoint
from tests.support.waiting import wait_until
from tests.support.webhooks import deliveries, verify
from tests.support.workers import forget_keys, start_celery, start_together

# The defaults (WEBHOOK_RETRY_SECONDS 30, WEBHOOK_SWEEP_SECONDS 15) divided by SCALE.
SCALE = 15
RETRY_SECONDS = 30 // SCALE
SWEEP_SECONDS = 15 // SCALE
# The minute down, at that scale.
DOWN_SECONDS = 60 / SCALE


def test_an_endpoint_down_for_a_minute_gets_the_confirmation_once_it_is_back(
    app, db, make_campaign, organization, down_receiver, register, sign_and_confirm, tmp_path
):
    """The endpoint refuses connections from before a confirmation until DOWN_SECONDS of real time after it
    (and it failed twice), then comes back.

    The worker and beat run with the retry schedule and the sweep scaled down
    15 times (WEBHOOK_RETRY_SECONDS=2, WEBHOOK_SWEEP_SECONDS=1 for the defaults'
    30 and 15), so 4 s down here is the issue's minute: with the defaults the
    endpoint refuses the first post and the retry 30 s later, and the retry
    60 s after that, swept within 15 s, finds it back. Here as there, it fails
    at least twice, and the event arrives by beat's sweep handing the due
    retry to the worker: nothing in the test sweeps, pumps or edits a row.
    """
    from campaign import create_app

    make_campaign(slug="recognize", organization_id=organization["organization"].id)
    endpoint, secret = register(organization["organization"], down_receiver.url, "signature.confirmed")
    # A broker of the test's own, read only by a worker and a beat with the scaled-down schedule
    # (the session's worker, if running, has the defaults and must not take this event's posts).
    prefix = f"{os.environ['REDIS_KEY_PREFIX']}down-{uuid.uuid4().hex[:8]}:"
    scaled = {
        **os.environ,
        "REDIS_KEY_PREFIX": prefix,
        "WEBHOOK_RETRY_SECONDS": str(RETRY_SECONDS),
        "WEBHOOK_SWEEP_SECONDS": str(SWEEP_SECONDS),
    }
    site = create_app({"TESTING": True, "REDIS_KEY_PREFIX": prefix}).test_client()
    with ExitStack() as running:
        running.callback(forget_keys, prefix)
        start_together(
            running,
            start_celery("worker", scaled, tmp_path / "worker.log"),
            start_celery("beat", scaled, tmp_path / "beat.log"),
        )

        sign_and_confirm("recognize", test_client=site)
        went_down = time.monotonic()

        # Down: refused at once, then again on the first retry.
        pending = DeliveryStatus.PENDING
        wait_until(lambda: [d for d in deliveries(db) if d.attempts >= 2 and d.status == pending], timeout=15)
        time.sleep(max(0.0, went_down + DOWN_SECONDS - time.monotonic()))
        # Between two attempts (none running), and still down: nothing was received.
        [before] = wait_until(lambda: [d for d in deliveries(db) if d.status == pending], interval=0.01)
        failed_attempts = before.attempts
        assert failed_attempts >= 2 and before.last_error.startswith("no-answer:")
        assert down_receiver.received == []

        down_receiver.start()  # back

        [event] = down_receiver.wait_for(1, timeout=15)
        assert verify(secret, event.headers["X-Campaign-Signature"], event.body)
        assert event.json()["type"] == "signature.confirmed"
        assert event.headers["X-Campaign-Event-Id"] == event.json()["id"]
        [delivered] = wait_until(lambda: [d for d in deliveries(db) if d.status == DeliveryStatus.DELIVERED])
        assert delivered.attempts > failed_attempts and delivered.response_code == 200
        # Beat goes on sweeping: nothing is owed, nothing is posted again.
        time.sleep(2 * SWEEP_SECONDS)
        assert len(down_receiver.received) == 1
        assert [d.status for d in deliveries(db)] == [DeliveryStatus.DELIVERED]
    healthy = db.session.get(WebhookEndpoint, endpoint.id)
    db.session.refresh(healthy)
    assert (healthy.consecutive_failures, healthy.failing_since, healthy.is_enabled) == (0, None, True)
