"""The fuzz pass over the sign form: no input gets a 5xx, and whatever is refused is refused in words."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.strategies import hostile_text
from tests.support.forms import csrf_token

FIELDS = ("given_name", "family_name", "email", "country", "postal_code", "region", "comment", "message")
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def test_no_sign_form_input_gets_a_server_error(client: Any, make_campaign: Any) -> None:
    """Every field of the sign form gets hostile text; the answer is a redirect or a page saying why."""
    from campaign.campaigns.models import CampaignKind

    petition = make_campaign(slug="fuzzed-petition")
    letters = make_campaign(slug="fuzzed-letters", kind=CampaignKind.LETTER)
    tokens = {
        campaign.slug: csrf_token(client.get(f"/campaigns/{campaign.slug}").get_data(as_text=True))
        for campaign in (petition, letters)
    }

    @given(
        slug=st.sampled_from(sorted(tokens)),
        values=st.fixed_dictionaries({}, optional={name: hostile_text for name in FIELDS}),
    )
    @FUZZ
    def check(slug: str, values: dict[str, str]) -> None:
        form = {
            "given_name": "Anahit",
            "family_name": "Petrosyan",
            "email": "anahit@example.org",
            "country": "AM",
            **values,
            "csrf_token": tokens[slug],
        }
        response = client.post(f"/campaigns/{slug}/sign", data=form)
        assert response.status_code < 500, (form, response.status_code)
        if response.status_code == 400:
            # Refused with the form shown again, saying what is wrong.
            assert 'class="error' in response.get_data(as_text=True) or "error" in response.get_data(
                as_text=True
            ), form

    check()
