"""The fuzz pass over the campaign builder: hostile text in every field of a draft never gets a 5xx."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from campaign import clock
from campaign.builder.forms import LONGEST_DEADLINE
from campaign.campaigns.models import Campaign, closes_at_of
from tests.fuzz.strategies import hostile_text
from tests.support.builder import DRAFT_FORM, draft_of
from tests.support.forms import csrf_token

FIELDS = ("title", "summary", "body_markdown", "goal", "language", "share_text", "kind")
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
TODAY = clock.now().date()
# Any day a date field can hold, up to 9999-12-31, and often the days around the edges of what is taken.
DAYS = st.one_of(
    st.dates(),
    st.dates(min_value=TODAY - timedelta(days=3), max_value=TODAY + timedelta(days=3)),
    st.dates(
        min_value=TODAY + LONGEST_DEADLINE - timedelta(days=3),
        max_value=TODAY + LONGEST_DEADLINE + timedelta(days=3),
    ),
    st.dates(min_value=date(9999, 12, 1)),
)
# What a browser may send as a day: a day in the form's spelling, or anything at all.
CLOSES_ON = st.one_of(DAYS.map(date.isoformat), hostile_text)


def test_no_draft_input_gets_a_server_error(team: Any) -> None:
    """A draft made of hostile text is created or refused with the form shown again, never a 5xx."""
    browser = team.organizer.browser
    token = csrf_token(browser.get("/organize/campaigns/new").get_data(as_text=True))

    @given(
        values=st.fixed_dictionaries(
            {}, optional={**{name: hostile_text for name in FIELDS}, "closes_on": CLOSES_ON}
        )
    )
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


def test_a_deadline_is_saved_when_it_is_from_today_to_five_years_ahead_and_refused_otherwise(
    db: Any, team: Any
) -> None:
    """Any day up to 9999-12-31, on a new draft or an edit: kept as its closing midnight, or a 400."""
    browser = team.organizer.browser
    campaign = draft_of(db, team.organizer, team.organization)
    edit = f"/organize/campaigns/{campaign.id}/edit"
    token = csrf_token(browser.get(edit).get_data(as_text=True))
    fields = {key: value for key, value in DRAFT_FORM.items() if key != "kind"}

    @given(day=DAYS, is_edit=st.booleans())
    @example(day=date.max, is_edit=False)
    @example(day=date.max, is_edit=True)
    @FUZZ
    def check(day: date, is_edit: bool) -> None:
        today = clock.now().date()
        form = {**fields, "closes_on": day.isoformat(), "csrf_token": token}
        if not is_edit:
            form.update(kind="petition", organization_id=team.organization.id)
        response = browser.post(edit if is_edit else "/organize/campaigns/new", data=form)
        is_taken = today <= day <= today + LONGEST_DEADLINE
        assert response.status_code == (303 if is_taken else 400), (day, response.status_code)
        if is_taken:
            saved = campaign.id if is_edit else int(response.headers["Location"].rsplit("/", 1)[1])
            db.session.expire_all()
            assert db.session.get(Campaign, saved).closes_at == closes_at_of(day)

    check()
