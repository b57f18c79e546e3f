"""The fuzz pass over the campaign builder: hostile text in every field of a draft never gets a 5xx."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.strategies import hostile_text
from tests.support.builder import DRAFT_FORM
from tests.support.forms import csrf_token

FIELDS = ("title", "summary", "body_markdown", "goal", "language", "share_text", "kind")
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def test_no_draft_input_gets_a_server_error(team: Any) -> None:
    """A draft made of hostile text is created or refused with the form shown again, never a 5xx."""
    browser = team.organizer.browser
    token = csrf_token(browser.get("/organize/campaigns/new").get_data(as_text=True))

    @given(values=st.fixed_dictionaries({}, optional={name: hostile_text for name in FIELDS}))
    @FUZZ
    def check(values: dict[str, str]) -> None:
        form = {
            **DRAFT_FORM,
            "organization_id": team.organization.id,
            **values,
            "csrf_token": token,
        }
        response = browser.post("/organize/campaigns/new", data=form)
        assert response.status_code < 500, (values, response.status_code)
        if response.status_code == 303:
            # Whatever was stored shows on the organizer's page without breaking it.
            shown = browser.get(response.headers["Location"])
            assert shown.status_code == 200, (values, shown.status_code)

    check()
