"""Why an endpoint was refused or turned off, and why a delivery failed: stored as a code, read in the
owner's language."""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from campaign import clock
from campaign.webhooks import reasons, service
from campaign.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.webhooks.test_pages import add

CODES = ("private-address", "http-status", "no-answer", "failed-in-a-row", "endpoint-off")


def in_language(app: Any, language: str, reason: str) -> str:
    """What a page in this language says for a stored reason, escaped as the page writes it."""
    with app.test_request_context(f"/?lang={language}"):
        return str(escape(reasons.describe(reason)))


def a_turned_off_endpoint_with_a_log(db: Any, organization: Any, campaign_id: int) -> WebhookEndpoint:
    """An endpoint the pump turned off, whose log holds a refusal, an HTTP error and an older English row."""
    endpoint = WebhookEndpoint(
        organization_id=organization.id,
        url="https://hooks.example.org/hook",
        events="signature.confirmed",
        secret_sealed=service._new_secret()[1],
        secret_hint="abcd",
        is_enabled=False,
        disabled_at=clock.now(),
        disabled_reason=reasons.stored(reasons.FAILED_IN_A_ROW, 5),
    )
    db.session.add(endpoint)
    db.session.flush()
    logged = {
        1: (reasons.stored(reasons.PRIVATE_ADDRESS, "10.1.2.3"), None),
        2: (reasons.stored(reasons.HTTP_STATUS, 503), 503),
        3: (reasons.stored(reasons.NO_ANSWER, "ConnectionRefusedError"), None),
        4: (reasons.ENDPOINT_OFF, None),
        # Written before reasons were codes: shown as it is.
        5: ("refused: the host old.example cannot be resolved", None),
    }
    for ref_id, (error, status) in logged.items():
        db.session.add(
            WebhookDelivery(
                endpoint_id=endpoint.id,
                event="signature.confirmed",
                ref_id=ref_id,
                campaign_id=campaign_id,
                status=DeliveryStatus.FAILED,
                attempts=1,
                last_error=error,
                response_code=status,
            )
        )
    db.session.commit()
    return endpoint


def test_the_log_and_the_turned_off_notice_read_in_the_owners_language(app, db, organization, make_campaign):
    campaign = make_campaign(slug="recognize", organization_id=organization["organization"].id)
    endpoint = a_turned_off_endpoint_with_a_log(db, organization["organization"], campaign.id)
    browser, path = organization["browser"], organization["path"]

    english = browser.get(path).get_data(as_text=True)
    assert "after repeated failures (failed attempts in a row: 5)" in english
    assert "the host resolves to a private, loopback or link-local address (10.1.2.3)" in english
    assert "the endpoint answered with HTTP status 503" in english
    assert "the endpoint did not answer (ConnectionRefusedError)" in english
    assert "not sent: the endpoint is turned off" in english
    assert "refused: the host old.example cannot be resolved" in english

    french = browser.get(f"{path}?lang=fr").get_data(as_text=True)
    assert 'lang="fr"' in french and "Désactivé le" in french
    for row in [endpoint.disabled_reason, *(d.last_error for d in db.session.query(WebhookDelivery))]:
        assert in_language(app, "fr", row) in french, row
    # The codes are for the database: no page shows one.
    for page in (english, french):
        assert not any(f"({code}" in page or f"{code}:" in page for code in CODES)


def test_a_refused_url_says_why_in_the_owners_language_and_the_code_stays_out_of_sight(app, db, organization):
    browser, path = organization["browser"], organization["path"]

    answer = add(browser, f"{path}?lang=fr", "http://10.0.0.5/hook")

    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Cette URL ne peut pas être utilisée" in page
    assert in_language(app, "fr", "private-address:10.0.0.5") in page
    assert "private-address" not in page
    assert db.session.query(WebhookEndpoint).count() == 0
