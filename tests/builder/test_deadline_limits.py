"""A campaign's last day to sign: from today to five years ahead, any other day refused with the reason."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from babel.dates import format_date
from sqlalchemy import func, select

from campaign import clock
from campaign.builder.forms import LONGEST_DEADLINE
from campaign.campaigns.models import Campaign, closes_at_of, last_day_of
from tests.support.builder import DRAFT_FORM, draft_of, new_campaign
from tests.support.forms import post_form


def latest_day() -> date:
    """The furthest last day the builder takes today."""
    return clock.now().date() + LONGEST_DEADLINE


def refusal(day: date) -> str:
    """What the form says of a deadline after `day`, in English."""
    return f"Please choose a day no later than {format_date(day, 'long', locale='en')}."


def test_a_deadline_past_five_years_is_refused_with_the_last_day_allowed(db: Any, team: Any) -> None:
    latest = latest_day()
    for day in ("9999-12-31", (latest + timedelta(days=1)).isoformat()):
        answer = new_campaign(team.organizer, team.organization, closes_on=day)
        assert answer.status_code == 400, day
        assert refusal(latest) in answer.get_data(as_text=True), day
    assert db.session.execute(select(func.count()).select_from(Campaign)).scalar_one() == 0

    furthest = draft_of(db, team.organizer, team.organization, closes_on=latest.isoformat())
    assert furthest.closes_at == datetime.combine(latest + timedelta(days=1), time())


def test_editing_a_draft_to_the_calendars_last_day_is_refused_and_changes_nothing(db: Any, team: Any) -> None:
    campaign = draft_of(db, team.organizer, team.organization)
    edit = f"/organize/campaigns/{campaign.id}/edit"
    fields = {key: value for key, value in DRAFT_FORM.items() if key != "kind"}

    answer = post_form(team.organizer.browser, edit, **{**fields, "title": "Changed"}, closes_on="9999-12-31")

    assert answer.status_code == 400
    assert refusal(latest_day()) in answer.get_data(as_text=True)
    db.session.expire_all()
    kept = db.session.get(Campaign, campaign.id)
    assert (kept.title, kept.closes_at) == (DRAFT_FORM["title"], None)


def test_today_is_still_a_last_day_and_yesterday_is_not(db: Any, team: Any) -> None:
    today = clock.now().date()
    past = new_campaign(team.organizer, team.organization, closes_on=(today - timedelta(days=1)).isoformat())
    assert past.status_code == 400 and "Please choose a day after today." in past.get_data(as_text=True)
    assert draft_of(db, team.organizer, team.organization, closes_on=today.isoformat()).closes_at is not None


def test_the_closing_moment_of_any_day_is_read_back_as_that_day() -> None:
    # Any day the form accepts (five years ahead at most: the calendar's end has no following midnight).
    for day in (date.min, date(2026, 2, 28), date(2028, 2, 29), date(9999, 12, 30)):
        assert last_day_of(closes_at_of(day)) == day
