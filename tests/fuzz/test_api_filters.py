"""The fuzz pass over the API's filters: hostile text and edge dates as the value of every field of every
filtered collection, with every operator: a 200 or a 400 that explains, never a 5xx."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign.accounts.models import Role
from campaign.api.filters import LAST_MOMENT, OPERATORS
from campaign.campaigns.models import CampaignKind
from tests.fuzz.strategies import hostile_text

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None)
CAMPAIGNS = ("created_date", "modified_date", "title")
ACTIONS = (
    "created_date",
    "modified_date",
    "action_date",
    "email_address",
    "country",
    "region",
    "postal_code",
)
PEOPLE = ("created_date", "modified_date", "email_address", "country", "region", "postal_code")
edge_dates = st.one_of(st.sampled_from([datetime.min, datetime.max, LAST_MOMENT]), st.datetimes()).flatmap(
    lambda moment: st.sampled_from(["", "Z", "+14:00", "-12:00"]).map(moment.isoformat().__add__)
)
values = st.one_of(hostile_text, edge_dates).map(lambda text: "'" + text.replace("'", "''") + "'")


def test_no_filter_value_gets_a_server_error(
    app: Any, client: Any, db: Any, api_user: Any, make_campaign: Any
) -> None:
    petition = make_campaign(slug="fuzzed-filter")
    letters = make_campaign(slug="fuzzed-filter-letters", kind=CampaignKind.LETTER)
    _staff, headers = api_user("fuzz-filter@example.org", Role.STAFF)
    collections = st.sampled_from(
        [
            ("/api/v1/petitions", CAMPAIGNS),
            ("/api/v1/advocacy_campaigns", CAMPAIGNS),
            (f"/api/v1/petitions/{petition.id}/signatures", ACTIONS),
            (f"/api/v1/advocacy_campaigns/{letters.id}/outreaches", ACTIONS),
            ("/api/v1/people", PEOPLE),
        ]
    )
    app.config["API_RATE_LIMIT"] = "100000/minute"
    try:

        @given(collection=collections, data=st.data())
        @FUZZ
        def check(collection: tuple[str, tuple[str, ...]], data: st.DataObject) -> None:
            path, fields = collection
            field = data.draw(st.sampled_from(fields))
            source = f"{field} {data.draw(st.sampled_from(OPERATORS))} {data.draw(values)}"
            response = client.get(path, query_string={"filter": source}, headers=headers)
            assert response.status_code in (200, 400), (source, response.status_code)
            assert response.is_json and (
                response.status_code == 200 or response.json["error"].startswith("filter")
            )

        check()
    finally:
        app.config["API_RATE_LIMIT"] = "600/minute"
