"""A post that outlives its claim: the row was put back (OUTBOX_STUCK_SECONDS) while it ran. Its outcome
never undoes another claim's, and a delivery is neither marked twice nor sent again once the endpoint
took it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from campaign import claims
from campaign.webhooks import delivery as webhooks
from campaign.webhooks import events, reasons
from campaign.webhooks.models import DeliveryStatus, WebhookEndpoint
from tests.support.signers import add_signature
from tests.support.webhooks import HeldReceiver, deliveries


@pytest.fixture
def held(request: pytest.FixtureRequest) -> Iterator[HeldReceiver]:
    """A HeldReceiver answering its first post with the status the test is parametrized with."""
    found = HeldReceiver(request.param)
    found.start()
    yield found
    found.release.set()
    found.stop()


def owe_one(db: Any, quiet: Any, make_campaign: Any, organization: Any, register: Any, url: str) -> int:
    """A confirmation owed to an endpoint at `url`; return the endpoint's id."""
    org = organization["organization"]
    campaign = make_campaign(slug="recognize", organization_id=org.id)
    endpoint, _secret = register(org, url, "signature.confirmed")
    signature_id = add_signature(db, campaign.id, "anahit@example.org").id
    with quiet.app_context():
        events.emit(events.SIGNATURE_CONFIRMED, [signature_id])
        db.session.commit()
    return int(endpoint.id)


def first_pump_posting(quiet: Any, held: HeldReceiver) -> threading.Thread:
    """A pump, in a thread, whose post the receiver holds; return once it is posting."""

    def run() -> None:
        with quiet.app_context():
            webhooks.pump(batch=1, seconds=5)

    thread = threading.Thread(target=run)
    thread.start()
    assert held.holding.wait(10)
    return thread


@pytest.mark.parametrize("held", [500], indirect=True)
def test_a_late_failure_does_not_undo_the_delivery_another_pump_made_meanwhile(
    db, quiet, make_campaign, organization, register, held, monkeypatch
):
    endpoint_id = owe_one(db, quiet, make_campaign, organization, register, held.url)
    first = first_pump_posting(quiet, held)

    # Its post outlives OUTBOX_STUCK_SECONDS: a sweep puts the row back, and a second pump sends it.
    monkeypatch.setitem(quiet.config, "OUTBOX_STUCK_SECONDS", 0)
    with quiet.app_context():
        assert webhooks.sweep() == 1
        webhooks.pump(batch=1, seconds=5)
    [row] = deliveries(db)
    assert (row.status, row.attempts, row.response_code) == (DeliveryStatus.DELIVERED, 2, 200)

    held.release.set()  # the first post now fails (500)
    first.join(10)

    [row] = deliveries(db)
    assert (row.status, row.attempts, row.response_code, row.last_error) == (
        DeliveryStatus.DELIVERED,
        2,
        200,
        None,
    )
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    db.session.refresh(endpoint)
    assert (endpoint.consecutive_failures, endpoint.failing_since) == (0, None)
    with quiet.app_context():
        assert webhooks.sweep() == 0  # nothing owed: it is not sent a third time
    assert len(held.received) == 2


@pytest.mark.parametrize("held", [200], indirect=True)
def test_a_late_success_marks_a_put_back_delivery_delivered_and_it_is_not_sent_again(
    db, quiet, make_campaign, organization, register, held, monkeypatch
):
    owe_one(db, quiet, make_campaign, organization, register, held.url)
    first = first_pump_posting(quiet, held)

    monkeypatch.setitem(quiet.config, "OUTBOX_STUCK_SECONDS", 0)
    with quiet.app_context():
        webhooks.sweep()  # put back: pending again, not yet claimed by another pump
    assert deliveries(db)[0].status == DeliveryStatus.PENDING

    held.release.set()  # the endpoint takes the first post after all
    first.join(10)

    [row] = deliveries(db)
    assert (row.status, row.attempts, row.response_code) == (DeliveryStatus.DELIVERED, 1, 200)
    with quiet.app_context():
        assert webhooks.sweep() == 0
        webhooks.pump(batch=1, seconds=5)
    assert len(held.received) == 1


def test_a_pump_whose_claim_was_taken_over_records_no_failure_over_it(
    db, quiet, make_campaign, organization, register, monkeypatch
):
    endpoint_id = owe_one(db, quiet, make_campaign, organization, register, "http://127.0.0.1:9/hook")
    monkeypatch.setitem(quiet.config, "OUTBOX_STUCK_SECONDS", 0)
    with quiet.app_context():
        with claims.pumping() as first:
            [stale] = webhooks._claim_some(first, 1)
            db.session.expunge(stale)  # what the first pump holds of it: claimed with attempts == 1
        webhooks.sweep()  # put back
        with claims.pumping() as second:
            [current] = webhooks._claim_some(second, 1)

            # The first pump's outcomes arrive now: neither is recorded over the second claim.
            webhooks._finish(stale, DeliveryStatus.FAILED, reasons.RETRIES_OVER)
            webhooks._retry(stale, reasons.stored(reasons.HTTP_STATUS, 503), 503)
            [row] = deliveries(db)
            assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENDING, 2, None)

            webhooks._retry(current, reasons.stored(reasons.HTTP_STATUS, 503), 503)
    [row] = deliveries(db)
    assert (row.status, row.attempts, row.response_code) == (DeliveryStatus.PENDING, 2, 503)
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    db.session.refresh(endpoint)
    assert endpoint.consecutive_failures == 1  # the second claim's failure only


def test_a_pump_gives_its_connection_back_to_the_pool_as_it_found_it(db, quiet):
    # The pump's own connection waits at most claims._LOCK_TIMEOUT for a row lock; left so,
    # a request that later got that connection from the pool would fail on a lock wait.
    with quiet.app_context():
        with claims.pumping() as holder:
            assert holder.connection is not None
            driver = holder.connection.connection.driver_connection
            assert driver.execute("SHOW lock_timeout").fetchone() == (claims._LOCK_TIMEOUT,)
        assert driver.execute("SHOW lock_timeout").fetchone() == ("0",)
