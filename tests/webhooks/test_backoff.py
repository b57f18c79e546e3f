"""The retry schedule: doubling from WEBHOOK_RETRY_SECONDS up to an hour, given up after WEBHOOK_RETRY_HOURS,
and an endpoint failing for WEBHOOK_DISABLE_AFTER_HOURS turned off, its owners emailed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from campaign import clock
from campaign.webhooks import delivery as webhooks
from campaign.webhooks import events
from campaign.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.support.audit import events as audited
from tests.support.signers import add_signature
from tests.support.webhooks import deliveries


def test_the_wait_before_a_retry_doubles_from_its_base_up_to_an_hour(app, db, monkeypatch, observer):
    waits = [webhooks.backoff(attempts).total_seconds() for attempts in range(1, 10)]
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert webhooks.backoff(10_000) == timedelta(hours=1)  # however many attempts

    monkeypatch.setitem(observer.config, "WEBHOOK_RETRY_SECONDS", 2)
    assert [webhooks.backoff(attempts).total_seconds() for attempts in range(1, 5)] == [2, 4, 8, 16]
    assert webhooks.backoff(12) == timedelta(hours=1)


def test_each_failed_attempt_waits_twice_as_long_as_the_one_before(
    db, quiet, make_campaign, organization, register, down_receiver
):
    org = organization["organization"]
    campaign = make_campaign(slug="recognize", organization_id=org.id)
    register(org, down_receiver.url, "signature.confirmed")  # refuses connections
    signature_id = add_signature(db, campaign.id, "anahit@example.org").id
    with quiet.app_context():
        events.emit(events.SIGNATURE_CONFIRMED, [signature_id])
        db.session.commit()

    waits = []
    for _attempt in range(3):
        with quiet.app_context():
            before = clock.now()
            webhooks.pump(batch=5, seconds=5)
        [row] = deliveries(db)
        assert row.status == DeliveryStatus.PENDING and row.last_error.startswith("no-answer:")
        waits.append(round((row.next_attempt_at - before).total_seconds()))
        # Time passes until it is due again.
        db.session.execute(update(WebhookDelivery).values(next_attempt_at=clock.now()))
        db.session.commit()

    assert waits == [30, 60, 120]
    assert deliveries(db)[0].attempts == 3


def test_an_event_still_failing_after_the_retry_hours_is_given_up_unsent(
    db, quiet, make_campaign, organization, register, receiver
):
    org = organization["organization"]
    campaign = make_campaign(slug="recognize", organization_id=org.id)
    endpoint, _secret = register(org, receiver.url, "signature.confirmed")
    old = add_signature(db, campaign.id, "anahit@example.org").id
    recent = add_signature(db, campaign.id, "sona@example.org").id
    now = clock.now()
    with quiet.app_context():
        # Owed since just over WEBHOOK_RETRY_HOURS (72) ago, and since just under.
        events.emit(events.SIGNATURE_CONFIRMED, [old], now - timedelta(hours=72, minutes=1))
        events.emit(events.SIGNATURE_CONFIRMED, [recent], now - timedelta(hours=71, minutes=59))
        db.session.commit()

        webhooks.pump(batch=5, seconds=5)

    given_up, sent = deliveries(db)
    assert (given_up.ref_id, given_up.status, given_up.last_error) == (
        old,
        DeliveryStatus.FAILED,
        "retries-over",
    )
    assert (sent.ref_id, sent.status) == (recent, DeliveryStatus.DELIVERED)
    assert [event.json()["osdi:signature"]["identifiers"] for event in receiver.received] == [
        [f"campaigns:{recent}"]
    ]
    # Giving up is not the endpoint's failure.
    db.session.refresh(endpoint)
    assert (endpoint.is_enabled, endpoint.consecutive_failures) == (True, 0)


def test_an_endpoint_failing_for_the_disable_hours_is_turned_off_and_its_owners_are_emailed(
    db, quiet, make_campaign, organization, register, receiver, mailbox
):
    from campaign.mail import sending as mail

    org = organization["organization"]
    campaign = make_campaign(slug="recognize", organization_id=org.id)
    endpoint, _secret = register(org, receiver.url, "signature.confirmed")
    receiver.status = 503
    # Few failures (far from WEBHOOK_DISABLE_AFTER_FAILURES), but the first of them long ago.
    endpoint.consecutive_failures = 3
    endpoint.failing_since = clock.now() - timedelta(hours=71, minutes=59)
    db.session.commit()

    def fail_once(email):
        signature_id = add_signature(db, campaign.id, email).id
        with quiet.app_context():
            events.emit(events.SIGNATURE_CONFIRMED, [signature_id])
            db.session.commit()
            webhooks.pump(batch=5, seconds=5)
            mail.pump(batch=10, seconds=5)
        db.session.refresh(endpoint)

    fail_once("anahit@example.org")
    assert endpoint.is_enabled and endpoint.consecutive_failures == 4  # failing for under 72 hours
    assert mailbox.to("owner@example.org") == []

    db.session.execute(
        update(WebhookEndpoint).values(failing_since=clock.now() - timedelta(hours=72, minutes=1))
    )
    db.session.commit()
    fail_once("sona@example.org")

    assert not endpoint.is_enabled
    assert endpoint.disabled_reason.startswith("failing-since:")
    [notice] = mailbox.wait_for("owner@example.org")
    assert notice["Subject"] == "A webhook of Artsakh Relief was turned off"
    assert receiver.url in notice.get_content() and "(failing since " in notice.get_content()
    [turned_off] = audited(db, "webhooks.disabled")
    assert turned_off.subject == f"webhook:{endpoint.id}"
    assert [d.response_code for d in deliveries(db)] == [503, 503]
