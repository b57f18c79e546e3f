"""The OpenAPI document: valid, generated from the routes, saying what docs/API.md says, and honoured
(schemathesis finds no 5xx; a webhook's body is what its schema says)."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import select

from campaign import clock
from campaign.accounts.models import Role
from campaign.campaigns.models import CampaignKind
from campaign.signing import confirmation
from campaign.signing.models import Signature
from campaign.webhooks import payloads
from campaign.webhooks.models import EVENTS, WebhookDelivery

HELPERS = [
    ("/api/v1/petitions/{petition_id}/signatures", "post"),
    ("/api/v1/advocacy_campaigns/{campaign_id}/outreaches", "post"),
    ("/api/v1/people", "post"),
]
SIGNER_PAGES = [
    "/api/v1/petitions/{petition_id}/signatures",
    "/api/v1/advocacy_campaigns/{campaign_id}/outreaches",
    "/api/v1/people/{person_id}/signatures",
    "/api/v1/people/{person_id}/outreaches",
    "/api/v1/people",
]


def test_the_document_is_valid_openapi_and_lists_every_resource(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    validate(document)
    paths = set(document["paths"])
    assert {
        "/api/v1/petitions",
        "/api/v1/petitions/{petition_id}/signatures",
        "/api/v1/advocacy_campaigns/{campaign_id}/outreaches",
        "/api/v1/people/{person_id}",
    } <= paths
    assert "post" in document["paths"]["/api/v1/petitions/{petition_id}/signatures"]
    assert document["components"]["securitySchemes"]["osdiToken"]["name"] == "OSDI-API-Token"


def _filter_help(document: dict[str, Any], path: str) -> str:
    """What the document says of a collection's filter parameter."""
    parameters = document["paths"][path]["get"]["parameters"]
    return next(p["description"] for p in parameters if p["name"] == "filter")


def test_the_document_says_what_docs_api_says(client, db):
    document = client.get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.1")
    # Bodies are read as JSON whatever their Content-Type; the empty body (Parsons) gets a 400 that says so.
    for path, method in HELPERS:
        declared = document["paths"][path][method]
        assert "whatever its Content-Type" in declared["requestBody"]["description"], path
        assert "the body is empty" in declared["requestBody"]["description"], path
        assert "Parsons" in declared["responses"]["400"]["description"], path
    # postal_code is refused wherever signers are filtered; like, re and near nowhere offered.
    for path in SIGNER_PAGES:
        assert "postal_code is refused (400)" in _filter_help(document, path), path
    for path in ("/api/v1/petitions", "/api/v1/advocacy_campaigns", *SIGNER_PAGES):
        assert "like, re and near are not supported" in _filter_help(document, path), path
    assert "postal_code" not in _filter_help(document, "/api/v1/petitions")


def test_the_document_describes_every_webhook_event_and_its_signature(client, db):
    document = client.get("/api/v1/openapi.json").json
    hooks = document["webhooks"]
    assert list(hooks) == list(EVENTS)
    for event, path_item in hooks.items():
        post = path_item["post"]
        assert post["description"], event
        assert post["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/WebhookEvent"
        }
        headers = {p["name"]: p for p in post["parameters"] if p["in"] == "header"}
        assert set(headers) == {"X-Campaign-Signature", "X-Campaign-Event-Id", "X-Campaign-Event"}
        assert "HMAC-SHA256" in headers["X-Campaign-Signature"]["description"]
        assert "de-duplicate" in headers["X-Campaign-Event-Id"]["description"]
        assert "2XX" in post["responses"]
    event = document["components"]["schemas"]["WebhookEvent"]
    assert event["properties"]["type"]["enum"] == list(EVENTS)
    assert {"osdi:signature", "osdi:outreach"} <= set(event["properties"])


@pytest.mark.parametrize("allows_exports", [True, False])
def test_a_webhook_body_is_what_the_document_says(client, db, make_campaign, api_user, allows_exports):
    """payloads.py's bodies for every event, on a petition and a letter campaign, with and without
    personal data and after the signature was deleted: each valid under the document's WebhookEvent."""
    document = client.get("/api/v1/openapi.json").json
    validator = Draft202012Validator(
        {"$ref": "#/components/schemas/WebhookEvent", "components": document["components"]}
    )
    organization, headers = api_user("owner@example.org", Role.ORGANIZER, "Hooks", allows_exports)
    petition = make_campaign(slug="hooked", organization_id=organization.id)
    letters = make_campaign(slug="hooked-letters", kind=CampaignKind.LETTER, organization_id=organization.id)
    person = {
        "given_name": "Aram",
        "family_name": "K",
        "email_addresses": [{"address": "aram@example.org"}],
        "postal_addresses": [{"country": "CA", "region": "ON", "postal_code": "K1A 0A6"}],
    }
    for path, words in (
        (f"/api/v1/petitions/{petition.id}/signatures", {"comments": "For the river."}),
        (f"/api/v1/advocacy_campaigns/{letters.id}/outreaches", {"message": "Please act."}),
    ):
        assert client.post(path, json={"person": person, **words}, headers=headers).status_code == 202
    signed, wrote = db.session.execute(select(Signature.id).order_by(Signature.id)).scalars().all()
    for signature_id in (signed, wrote):
        confirmation.confirm(signature_id)
    db.session.commit()
    events = [(event, signed, petition.id) for event in EVENTS if event != "outreach.sent"]
    events += [(event, wrote, letters.id) for event in EVENTS]
    events.append(("signature.withdrawn", 2147483647, petition.id))  # deleted: its ids and links alone
    now = clock.now()
    bodies = [
        payloads.payload(WebhookDelivery(event=event, ref_id=ref, campaign_id=campaign, occurred_at=now))
        for event, ref, campaign in events
    ]
    for body in bodies:
        assert list(validator.iter_errors(body)) == [], body
    resources = [body.get("osdi:signature") or body["osdi:outreach"] for body in bodies]
    on_letters = [campaign == letters.id for _event, _ref, campaign in events]
    assert [("osdi:outreach" in body) for body in bodies] == on_letters
    # The person, and the sub-schema that describes them, only where the organization lets its members export.
    assert any("person" in resource for resource in resources) is allows_exports


def test_no_generated_request_makes_the_api_fail(
    app: Any, db: Any, api_user: Any, make_campaign: Any
) -> None:
    """Schemathesis generates requests for every operation from the document; none may get a 5xx
    or an answer that breaks the document's own schemas."""
    make_campaign(slug="fuzzed-petition")
    make_campaign(slug="fuzzed-letters", kind=CampaignKind.LETTER)
    _staff, headers = api_user("fuzzer@example.org", Role.STAFF)
    app.config["API_RATE_LIMIT"] = "100000/minute"
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        results = list(schema.get_all_operations())
        # An operation schemathesis cannot read is an Err: none may be.
        operations = [result.ok() for result in results if isinstance(result, Ok)]
        assert len(operations) == len(results) >= 12
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def check(case: Any) -> None:
                case.call_and_validate(
                    headers=headers, checks=[not_a_server_error, response_schema_conformance]
                )

            check()
    finally:
        app.config["API_RATE_LIMIT"] = "600/minute"
