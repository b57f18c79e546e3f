"""The fuzz pass over the API's helpers (record signature, record outreach, person signup): any JSON
body gets a JSON answer, never a 5xx."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.accounts.models import Role
from campaign.campaigns.models import CampaignKind
from tests.fuzz.strategies import hostile_text

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(hostile_text, children, max_size=3),
    max_leaves=8,
)
people = st.fixed_dictionaries(
    {},
    optional={
        "given_name": hostile_text | json_values,
        "family_name": hostile_text,
        "email_addresses": st.lists(
            st.fixed_dictionaries({"address": hostile_text}, optional={"status": hostile_text}), max_size=2
        )
        | json_values,
        "postal_addresses": st.lists(
            st.fixed_dictionaries(
                {}, optional={"postal_code": hostile_text, "country": hostile_text, "region": hostile_text}
            ),
            max_size=2,
        ),
    },
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"person": people},
        optional={"comments": hostile_text, "referrer_data": json_values, "message": hostile_text},
    ),
)


def test_no_helper_body_gets_a_server_error(
    app: Any, client: Any, db: Any, api_user: Any, make_campaign: Any
) -> None:
    """Shaped and shapeless bodies, hostile strings in every field: 2xx or 4xx, always JSON."""
    petition = make_campaign(slug="fuzzed-helper")
    letters = make_campaign(slug="fuzzed-helper-letters", kind=CampaignKind.LETTER)
    _staff, headers = api_user("fuzz-helper@example.org", Role.STAFF)
    helpers = st.sampled_from(
        [
            f"/api/v1/petitions/{petition.id}/signatures",
            f"/api/v1/advocacy_campaigns/{letters.id}/outreaches",
            "/api/v1/people",
        ]
    )
    app.config["API_RATE_LIMIT"] = "100000/minute"
    try:

        @given(path=helpers, body=bodies)
        @FUZZ
        def check(path: str, body: Any) -> None:
            response = client.post(path, json=body, headers=headers)
            assert response.status_code < 500, (path, body, response.status_code)
            assert response.is_json, (path, body, response.status_code)

        check()
    finally:
        app.config["API_RATE_LIMIT"] = "600/minute"
