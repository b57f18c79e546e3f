"""The owner's webhooks page: who reaches it, registering (SSRF refused), secrets shown once, the log."""

from __future__ import annotations

import re

from campaign.accounts.models import MemberRole, Membership, Role
from campaign.webhooks.models import WebhookEndpoint
from tests.support.accounts import age_second_factor
from tests.support.forms import post_form
from tests.support.people import signed_in


def add(browser, path, url, *events):
    """Post the add form of the webhooks page."""
    return post_form(browser, path, action=path, url=url, events=list(events or ["signature.confirmed"]))


def secret_on(html):
    """The secret a page shows, if any."""
    found = re.search(r'<code class="secret">(whsec_[^<]+)</code>', html)
    return found.group(1) if found else None


def test_an_owner_adds_an_endpoint_sees_its_secret_once_rotates_it_and_removes_it(db, organization, receiver):
    browser, path = organization["browser"], organization["path"]
    assert "/webhooks" in browser.get(path.rsplit("/", 1)[0]).get_data(
        as_text=True
    )  # the organization page links it

    answer = add(browser, path, receiver.url, "signature.confirmed", "signature.withdrawn")

    assert answer.status_code == 201
    assert answer.headers["Cache-Control"] == "no-store"
    secret = secret_on(answer.get_data(as_text=True))
    assert secret
    endpoint = db.session.execute(db.select(WebhookEndpoint)).scalar_one()
    assert endpoint.events == "signature.confirmed signature.withdrawn"
    assert secret.encode() not in endpoint.secret_sealed  # sealed: a dump does not hold it
    again = browser.get(path).get_data(as_text=True)
    assert secret_on(again) is None and secret not in again
    assert f"Secret ending in {secret[-4:]}" in again

    rotated = post_form(browser, path, action=f"{path}/{endpoint.id}/secret")
    new_secret = secret_on(rotated.get_data(as_text=True))
    assert new_secret and new_secret != secret

    removed = post_form(browser, path, action=f"{path}/{endpoint.id}/remove")
    assert removed.status_code == 303
    assert "No endpoint yet." in browser.get(path).get_data(as_text=True)
    assert db.session.execute(db.select(WebhookEndpoint)).first() is None


def test_endpoints_in_private_networks_and_plain_http_are_refused(app, db, organization, monkeypatch):
    browser, path = organization["browser"], organization["path"]
    refused = {
        "http://10.0.0.5/hook": "private, loopback or link-local",
        "https://169.254.169.254/latest/meta-data": "private, loopback or link-local",
        "https://[::1]:8443/hook": "private, loopback or link-local",
        "https://[::ffff:192.168.1.1]/hook": "private, loopback or link-local",
        # IPv6 forms that carry a private IPv4 address, which a NAT64 or 6to4 gateway would reach.
        "https://[64:ff9b::a9fe:a9fe]/latest/meta-data/": "private, loopback or link-local",
        "https://[64:ff9b::a00:5]/hook": "private, loopback or link-local",
        "https://[2002:a9fe:a9fe::1]/hook": "private, loopback or link-local",
        "https://[::a9fe:a9fe]/hook": "private, loopback or link-local",
        "https://[64:ff9b:1::a00:5]/hook": "private, loopback or link-local",
        "https://[fec0::1]/hook": "private, loopback or link-local",
        "ftp://example.org/hook": "https://host/path",
        "https://user:pw@example.org/hook": "without a user name or password",
        "https://no-such-host.invalid/hook": "cannot be resolved",
        "http://93.184.215.14/hook": "must use https://",
        "not a url": "https://host/path",
    }
    for url, reason in refused.items():
        answer = add(browser, path, url)
        assert answer.status_code == 400, url
        assert reason in answer.get_data(as_text=True), url
    # Loopback is allowed here only because the tests' configuration says so.
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_NETWORKS", "")
    answer = add(browser, path, "http://127.0.0.1:9/hook")
    assert answer.status_code == 400
    assert "private, loopback or link-local" in answer.get_data(as_text=True)
    # No event chosen: refused too.
    answer = post_form(browser, path, action=path, url="https://93.184.215.14/hook")
    assert answer.status_code == 400
    assert db.session.execute(db.select(WebhookEndpoint)).first() is None


def test_only_the_organizations_owners_reach_its_webhooks(app, db, organization, register, receiver):
    org = organization["organization"]
    path = organization["path"]
    endpoint, _secret = register(org, receiver.url)
    member, member_user = signed_in(app, db, "member@example.org", Role.ORGANIZER)
    db.session.add(Membership(organization_id=org.id, user_id=member_user.id, role=MemberRole.MEMBER))
    db.session.commit()
    outsider, _ = signed_in(app, db, "outsider@example.org", Role.ORGANIZER)
    staff, _ = signed_in(app, db, "staff@example.org", Role.STAFF)
    visitor = app.test_client()

    assert organization["browser"].get(path).status_code == 200
    assert member.get(path).status_code == 403
    assert staff.get(path).status_code == 403
    assert outsider.get(path).status_code == 404
    assert visitor.get(path).headers["Location"].startswith("/login")
    for browser, status in ((member, 403), (staff, 403), (outsider, 404)):
        for action in ("secret", "remove", "enable"):
            answer = post_form(browser, "/organizations", action=f"{path}/{endpoint.id}/{action}")
            assert answer.status_code == status, (action, status)
        answer = post_form(browser, "/organizations", action=path, url=receiver.url, events="signature.added")
        assert answer.status_code == status
    assert db.session.execute(db.select(WebhookEndpoint)).scalar_one().id == endpoint.id
    # Another organization's owner cannot reach this endpoint through their own organization either.
    from campaign.accounts.organizations import create_organization

    other_owner, other_user = signed_in(app, db, "other@example.org", Role.ORGANIZER)
    other = create_organization("Other", other_user)
    db.session.commit()
    answer = post_form(
        other_owner, "/organizations", action=f"/organizations/{other.id}/webhooks/{endpoint.id}/remove"
    )
    assert answer.status_code == 404


def test_the_owner_gives_a_second_factor_again_before_changing_webhooks(db, organization, receiver):
    browser, path = organization["browser"], organization["path"]
    age_second_factor(db, "owner@example.org", 3600)

    page = browser.get(path)
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/account/two-factor")
    assert db.session.execute(db.select(WebhookEndpoint)).first() is None


def test_the_organization_page_sums_up_each_endpoint_and_its_newest_deliveries_for_owners(
    app, db, make_campaign, organization
):
    from datetime import timedelta

    from campaign import clock
    from campaign.webhooks.models import DeliveryStatus, WebhookDelivery
    from tests.webhooks.test_webhooks_i18n import a_turned_off_endpoint_with_a_log

    org = organization["organization"]
    campaign = make_campaign(slug="recognize", organization_id=org.id)
    a_turned_off_endpoint_with_a_log(db, org, campaign.id)  # https://hooks.example.org/hook
    healthy = WebhookEndpoint(
        organization_id=org.id,
        url="https://partner.example.net/events",
        events="signature.confirmed",
        secret_sealed=b"sealed",
        secret_hint="wxyz",
        consecutive_failures=2,
    )
    db.session.add(healthy)
    db.session.flush()
    now = clock.now()
    # Oldest first: a 418 (not among the newest three), a delivery, a 503, one waiting.
    for minutes, status, code, error in (
        (40, DeliveryStatus.FAILED, 418, "http-status:418"),
        (30, DeliveryStatus.DELIVERED, 200, None),
        (20, DeliveryStatus.FAILED, 503, "http-status:503"),
        (10, DeliveryStatus.PENDING, None, "no-answer:ConnectionRefusedError"),
    ):
        db.session.add(
            WebhookDelivery(
                endpoint_id=healthy.id,
                event="signature.confirmed",
                ref_id=100 + minutes,
                campaign_id=campaign.id,
                status=status,
                attempts=1,
                response_code=code,
                last_error=error,
                created_at=now - timedelta(minutes=minutes),
            )
        )
    db.session.commit()
    org_path = organization["path"].rsplit("/", 1)[0]

    page = organization["browser"].get(org_path).get_data(as_text=True)
    summary = page[page.index('id="webhooks-heading"') :]
    assert "https://hooks.example.org/hook" in summary
    assert "after repeated failures (failed attempts in a row: 5)" in summary
    assert "https://partner.example.net/events" in summary
    assert "2 failed attempts since the last delivery." in summary
    assert "A signature is confirmed" in summary
    assert "delivered" in summary and "<td>200</td>" in summary
    assert "failed (the endpoint answered with HTTP status 503)" in summary
    assert "waiting (the endpoint did not answer (ConnectionRefusedError))" in summary
    assert "418" not in summary  # the newest three of each endpoint only
    assert f'<a href="{organization["path"]}">The full delivery log</a>' in summary
    french = organization["browser"].get(f"{org_path}?lang=fr").get_data(as_text=True)
    assert "Désactivé le" in french and "https://partner.example.net/events" in french

    # Members and staff see the organization page, not its webhooks' log.
    member, member_user = signed_in(app, db, "member@example.org", Role.ORGANIZER)
    db.session.add(Membership(organization_id=org.id, user_id=member_user.id, role=MemberRole.MEMBER))
    db.session.commit()
    staff, _ = signed_in(app, db, "staff@example.org", Role.STAFF)
    for browser in (member, staff):
        seen = browser.get(org_path)
        assert seen.status_code == 200
        assert "partner.example.net" not in seen.get_data(as_text=True)
