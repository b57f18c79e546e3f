"""The other paths of a partner consent: the supporter withdraws one from their own page, the embedded
widget offers and records the boxes, and the API's record helpers take them (`campaigns:partner_consents`)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from campaign.accounts.models import Role
from campaign.audit.models import AuditEvent
from campaign.partners.models import PartnerConsent
from campaign.signing.models import Signature
from tests.partners.test_partner_exports import _ask, _confirm_all, _rows
from tests.support.forms import csrf_token

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
OHAN = {"email": "ohan@example.org", "given_name": "Ohan"}


def _given(db: Any) -> list[tuple[str, int]]:
    """(the signer's masked name, partner id) of every stored consent, oldest first."""
    db.session.expire_all()
    rows = db.session.execute(
        select(Signature.masked_name, PartnerConsent.organization_id)
        .join(Signature, Signature.id == PartnerConsent.signature_id)
        .order_by(PartnerConsent.id)
    ).all()
    return [(name, organization_id) for name, organization_id in rows]


def _my_page(db: Any, nth: int) -> tuple[str, Signature]:
    """The own page of the nth person to sign (from 0), as their emails link to it, and their signature."""
    from campaign.signing.supporters import my_token

    signature = db.session.execute(select(Signature).order_by(Signature.id)).scalars().all()[nth]
    return f"/my/{my_token(signature.person_id)}", signature


def _withdraw(client: Any, my_path: str, signature_id: int, organization_id: int) -> Any:
    """Press "Stop (partner) emailing me" on the own page (its CSRF token, then the post)."""
    token = csrf_token(client.get(my_path).get_data(as_text=True))
    return client.post(
        f"{my_path}/partners/{signature_id}/{organization_id}/withdraw", data={"csrf_token": token}
    )


def _signups(browser: Any) -> str:
    """The co-hosted campaigns page of a partner's member: its sign-up count."""
    return browser.get("/organize/partners").get_data(as_text=True)


@pytest.mark.usefixtures("celery_worker")
def test_stopping_one_partner_leaves_the_supporter_out_of_its_export_and_keeps_the_other(
    db, cohosted, sign, client
):
    a, b, campaign = cohosted.partner_a, cohosted.partner_b, cohosted.campaign
    assert sign("dont-be-blind", partners=[str(a.id), str(b.id)]).status_code == 303
    assert sign("dont-be-blind", partners=[str(a.id)], **OHAN).status_code == 303
    _confirm_all(db, client)
    for organization in (a, b):
        organization.allows_member_exports = True
    db.session.commit()
    assert '<td class="partner-signups">2</td>' in _signups(cohosted.owner_a.browser)

    my_path, anahit = _my_page(db, 0)
    page = client.get(my_path).get_data(as_text=True)
    assert "Stop Another Group emailing me" in page and "Stop Partner B emailing me" in page
    answer = _withdraw(client, my_path, anahit.id, a.id)
    assert answer.status_code == 303 and answer.headers["Location"] == my_path

    page = client.get(my_path).get_data(as_text=True)
    assert "Another Group may no longer email you" in page
    assert "Stop Another Group emailing me" not in page and "“Another Group may email me”: yes" not in page
    assert "Stop Partner B emailing me" in page and "“Partner B may email me”: yes" in page
    # Partner A now counts and exports only Ohan; Partner B keeps Anahit; her signature still counts.
    assert '<td class="partner-signups">1</td>' in _signups(cohosted.owner_a.browser)
    rows = _rows(db, cohosted.owner_a.browser, _ask(cohosted.owner_a.browser, campaign, a.id))
    assert rows == [["First name", "Email"], ["Ohan", "ohan@example.org"]]
    rows = _rows(db, cohosted.owner_b.browser, _ask(cohosted.owner_b.browser, campaign, b.id))
    assert rows == [["First name", "Email"], ["Anahit", "anahit@example.org"]]
    assert "confirmed and counted" in page
    # Audited under the campaign, naming the partner and the signature, never the person.
    [event] = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "partner.consent_withdrawn")
    ).scalars()
    assert (event.actor, event.subject) == ("supporter:own-page", f"campaign:{campaign.id}")
    assert event.details == {"organization_id": a.id, "signature_id": anahit.id}
    # Pressed again (a second tab): nothing left to withdraw.
    assert _withdraw(client, my_path, anahit.id, a.id).status_code == 404


def test_someone_elses_signature_or_a_partner_never_consented_to_is_a_404(db, cohosted, sign, client):
    a, b = cohosted.partner_a, cohosted.partner_b
    assert sign("dont-be-blind", partners=[str(a.id)]).status_code == 303
    assert sign("dont-be-blind", partners=[str(b.id)], **OHAN).status_code == 303
    anahit_path, anahit = _my_page(db, 0)
    ohan_path, ohan = _my_page(db, 1)
    before = _given(db)

    # Ohan's link cannot withdraw Anahit's consent, nor Anahit's his; nor a box she left empty.
    assert _withdraw(client, ohan_path, anahit.id, a.id).status_code == 404
    assert _withdraw(client, anahit_path, ohan.id, b.id).status_code == 404
    assert _withdraw(client, anahit_path, anahit.id, b.id).status_code == 404
    assert _withdraw(client, anahit_path, anahit.id, cohosted.team.organization.id).status_code == 404
    assert _withdraw(client, anahit_path, 10**12, 10**15).status_code == 404
    # Without the page's CSRF token, or with a link that is not good, nothing happens either.
    path = f"{anahit_path}/partners/{anahit.id}/{a.id}/withdraw"
    assert client.post(path).status_code == 400
    assert client.post(f"/my/not-a-token/partners/{anahit.id}/{a.id}/withdraw").status_code == 400
    assert _given(db) == before
    assert (
        db.session.execute(select(AuditEvent).where(AuditEvent.action == "partner.consent_withdrawn")).first()
        is None
    )


def test_the_widget_offers_the_partner_boxes_and_records_a_ticked_one(db, cohosted, client):
    a, b = cohosted.partner_a, cohosted.partner_b
    html = client.get("/campaigns/dont-be-blind/embed?partner=ngo-paris").get_data(as_text=True)
    assert f'<input id="partner-{a.id}" name="partners" type="checkbox" value="{a.id}">' in html
    assert f'<input id="partner-{b.id}" name="partners" type="checkbox" value="{b.id}">' in html
    assert "Another Group may email me" in html and "Partner B may email me" in html

    form = {
        "given_name": "Anahit",
        "family_name": "Petrosyan",
        "email": "anahit@example.org",
        "country": "AM",
    }
    refused = client.post(
        "/campaigns/dont-be-blind/embed",
        data={**form, "email": "", "partners": [str(b.id)]},
        headers=SAME_ORIGIN,
    )
    assert refused.status_code == 400
    # Sent back with errors, the box stays as the supporter ticked it.
    assert f'value="{b.id}" checked>' in refused.get_data(as_text=True)
    signed = client.post(
        "/campaigns/dont-be-blind/embed?partner=ngo-paris",
        data={**form, "partners": [str(b.id)]},
        headers=SAME_ORIGIN,
    )
    assert signed.status_code == 303
    consent = db.session.execute(select(PartnerConsent)).scalar_one()
    assert (consent.organization_id, consent.wording, consent.language) == (
        b.id,
        "Partner B may email me",
        "en",
    )
    assert db.session.get(Signature, consent.signature_id).source == "embed:ngo-paris"


def _helper_body(email: str, **extra: Any) -> dict[str, Any]:
    """A record signature helper's body for a person, with the extension fields given."""
    return {
        "person": {
            "given_name": "Anahit",
            "family_name": "Petrosyan",
            "email_addresses": [{"address": email}],
            "postal_addresses": [{"postal_code": "0010", "country": "AM"}],
        },
        **extra,
    }


def test_the_record_helper_records_partner_consents_and_refuses_a_non_partner(db, cohosted, client, api_user):
    a, b, campaign = cohosted.partner_a, cohosted.partner_b, cohosted.campaign
    _staff, headers = api_user("api-staff@example.org", Role.STAFF)
    path = f"/api/v1/petitions/{campaign.id}/signatures"

    host = cohosted.team.organization.id  # runs the campaign, but is not one of its partners
    refused = client.post(
        path,
        json=_helper_body("x@example.org", **{"campaigns:partner_consents": [a.id, host]}),
        headers=headers,
    )
    assert refused.status_code == 400
    message = refused.json["error"]
    assert f"{host} is not a partner of this campaign" in message
    assert f"{a.id} (Another Group)" in message and f"{b.id} (Partner B)" in message
    for bad in ("1", [str(a.id)], [True], [a.id] * 51):
        answer = client.post(
            path, json=_helper_body("x@example.org", **{"campaigns:partner_consents": bad}), headers=headers
        )
        assert answer.status_code == 400 and "partner organization ids" in answer.json["error"], bad
    assert db.session.execute(select(Signature)).first() is None  # nothing recorded

    recorded = client.post(
        path,
        json=_helper_body("anahit@example.org", **{"campaigns:partner_consents": [b.id, b.id]}),
        headers=headers,
    )
    assert recorded.status_code == 202, recorded.json
    plain = client.post(path, json=_helper_body("ohan@example.org"), headers=headers)
    assert plain.status_code == 202
    consent = db.session.execute(select(PartnerConsent)).scalar_one()
    assert (consent.organization_id, consent.wording, consent.language) == (
        b.id,
        "Partner B may email me",
        "en",
    )
    # A repeat through the API adds none, as on the form.
    again = client.post(
        path,
        json=_helper_body("anahit@example.org", **{"campaigns:partner_consents": [a.id]}),
        headers=headers,
    )
    assert again.status_code == 202 and [row[1] for row in _given(db)] == [b.id]

    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["SignatureHelper"]
    assert schema["properties"]["campaigns:partner_consents"]["items"] == {"type": "integer", "minimum": 1}
