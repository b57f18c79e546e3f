"""Deliveries by a real Celery worker to a real HTTP receiver: signed, at most once delivered, an endpoint
failing too often turned off (an endpoint down for a while, retried through beat: test_endpoint_down.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from campaign import clock
from campaign.webhooks.models import DeliveryStatus
from tests.support.waiting import wait_until
from tests.support.webhooks import deliveries, verify

pytestmark = pytest.mark.usefixtures("celery_worker")


def test_a_confirmation_reaches_the_endpoint_signed_within_seconds(
    app, db, make_campaign, organization, receiver, register, sign_and_confirm
):
    campaign = make_campaign(slug="recognize", organization_id=organization["organization"].id)
    _endpoint, secret = register(organization["organization"], receiver.url, "signature.confirmed")

    sign_and_confirm("recognize", email="anahit@example.org", given_name="Anahit", family_name="Petrosyan")

    [event] = receiver.wait_for(1, timeout=10)
    assert event.path == "/hooks/campaigns"
    assert verify(secret, event.headers["X-Campaign-Signature"], event.body)
    body = event.json()
    assert body["type"] == "signature.confirmed"
    assert event.headers["X-Campaign-Event-Id"] == body["id"]
    signature = body["osdi:signature"]
    assert signature["status"] == "validated"
    assert signature["_links"]["osdi:petition"]["href"] == f"http://localhost/api/v1/petitions/{campaign.id}"
    # The organization does not let its members export signers: ids and links only.
    assert "person" not in signature
    assert b"anahit@example.org" not in event.body and b"Petrosyan" not in event.body
    [delivery] = wait_until(lambda: [d for d in deliveries(db) if d.status == DeliveryStatus.DELIVERED])
    assert (delivery.attempts, delivery.response_code) == (1, 200)


def test_a_forged_or_altered_event_fails_the_receivers_check(
    app, db, make_campaign, organization, receiver, register, sign_and_confirm
):
    make_campaign(slug="recognize", organization_id=organization["organization"].id)
    _endpoint, secret = register(organization["organization"], receiver.url, "signature.added")

    sign_and_confirm("recognize")

    [event] = receiver.wait_for(1)
    header = event.headers["X-Campaign-Signature"]
    assert verify(secret, header, event.body)
    assert not verify(secret, header, event.body.replace(b"signature.added", b"signature.withdrawn"))
    assert not verify("whsec_someone-elses", header, event.body)
    timestamp = header.split(",")[0].removeprefix("t=")
    # A replay long after: the timestamp is signed too, so it cannot be moved forward.
    assert not verify(secret, header.replace(timestamp, str(int(timestamp) + 3600)), event.body)
    assert not verify(secret, header, event.body, tolerance=-1)


def test_an_endpoint_failing_too_often_is_turned_off_and_its_owners_are_emailed(
    app, db, make_campaign, organization, receiver, register, sign_and_confirm, mailbox
):
    from campaign.accounts.models import MemberRole, Membership, Role
    from campaign.accounts.service import create_user

    org = organization["organization"]
    second_owner = create_user("second@example.org", "violet harbor lantern 42", Role.ORGANIZER, "Sona")
    member = create_user("member@example.org", "violet harbor lantern 42", Role.ORGANIZER, "Aram")
    db.session.flush()
    db.session.add(Membership(organization_id=org.id, user_id=second_owner.id, role=MemberRole.OWNER))
    db.session.add(Membership(organization_id=org.id, user_id=member.id, role=MemberRole.MEMBER))
    db.session.commit()
    make_campaign(slug="recognize", organization_id=org.id)
    endpoint, _secret = register(org, receiver.url, "signature.added", "signature.confirmed")
    # It has failed for a while already: one more failure is one too many.
    endpoint.consecutive_failures = app.config["WEBHOOK_DISABLE_AFTER_FAILURES"] - 1
    endpoint.failing_since = clock.now() - timedelta(hours=5)
    db.session.commit()
    receiver.status = 500

    sign_and_confirm("recognize")

    [notice] = mailbox.wait_for("owner@example.org")
    assert notice["Subject"] == "A webhook of Artsakh Relief was turned off"
    assert receiver.url in notice.get_content()
    assert "/organizations/" in notice.get_content()
    assert mailbox.wait_for("second@example.org")
    db.session.refresh(endpoint)
    assert not endpoint.is_enabled
    assert endpoint.disabled_reason.startswith("failed-in-a-row:")
    assert "(failed attempts in a row: " in notice.get_content()
    # What it was still owed is not sent; the page says it is off; the member got no email.
    wait_until(lambda: all(d.status == DeliveryStatus.FAILED for d in deliveries(db)))
    page = organization["browser"].get(organization["path"]).get_data(as_text=True)
    assert "Turned off on" in page and "failed attempts in a row: " in page
    assert mailbox.to("member@example.org") == []
    assert deliveries(db)[0].response_code == 500
