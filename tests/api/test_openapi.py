"""The OpenAPI document: valid, generated from the routes, and honoured (schemathesis finds no 5xx)."""

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from campaign.accounts.models import Role


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


def test_no_generated_request_makes_the_api_fail(
    app: Any, db: Any, api_user: Any, make_campaign: Any
) -> None:
    """Schemathesis generates requests for every operation from the document; none may get a 5xx
    or an answer that breaks the document's own schemas."""
    from campaign.campaigns.models import CampaignKind

    make_campaign(slug="fuzzed-petition")
    make_campaign(slug="fuzzed-letters", kind=CampaignKind.LETTER)
    _staff, headers = api_user("fuzzer@example.org", Role.STAFF)
    app.config["API_RATE_LIMIT"] = "100000/minute"
    try:
        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 12
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
