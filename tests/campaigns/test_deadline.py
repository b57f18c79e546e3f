"""A campaign's deadline as people read it: the last day to sign on its page, in the reader's language,
and the same day for its organizers and the staff who review it."""

# Russian text, whose letters resemble Latin ones.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from campaign import clock
from campaign.campaigns.models import CampaignStatus
from tests.support.builder import Team, open_campaign


def said(page: Any) -> str:
    """A page's text with its line breaks and indents folded, as a reader takes it in (no-break
    spaces kept: French sets one before a colon)."""
    return re.sub(r"[ \t\r\n]+", " ", page.get_data(as_text=True))


def next_year_midnight() -> datetime:
    """A deadline as the builder sets it: midnight UTC after the last day chosen, some months ahead."""
    return datetime(clock.now().year + 1, 3, 2)


def test_the_page_tells_supporters_the_last_day_to_sign_in_their_language(
    client: Any, db: Any, make_campaign: Any
) -> None:
    closes_at = next_year_midnight()
    make_campaign(slug="recognize", closes_at=closes_at)
    year = closes_at.year

    assert f"Last day to sign: March 1, {year} (UTC)" in said(client.get("/campaigns/recognize"))
    assert f"Dernier jour pour signer\u00a0: 1 mars {year} (UTC)" in said(
        client.get("/campaigns/recognize?lang=fr")
    )
    assert f"Последний день для подписи: 1 марта {year}\u202fг. (UTC)" in said(
        client.get("/campaigns/recognize?lang=ru")
    )

    # A deadline at another time of day (set through the API) is told to the minute.
    make_campaign(slug="afternoon", closes_at=closes_at + timedelta(hours=15))
    assert f"Signatures are taken until Mar 2, {year}, 3:00:00\u202fPM UTC" in said(
        client.get("/campaigns/afternoon")
    )
    # None without a deadline.
    make_campaign(slug="no-deadline")
    assert "Last day to sign" not in said(client.get("/campaigns/no-deadline"))


def test_an_ended_campaign_says_so_where_its_form_was(client: Any, db: Any, make_campaign: Any) -> None:
    make_campaign(slug="closed", status=CampaignStatus.CLOSED, closed_at=clock.now())
    make_campaign(slug="past", closes_at=clock.now() - timedelta(hours=1))
    for slug in ("closed", "past"):
        page = said(client.get(f"/campaigns/{slug}"))
        assert '<h2 id="sign-heading">This campaign has ended</h2>' in page, slug
        assert "Sign this petition" not in page and "Last day to sign" not in page, slug


def test_organizers_and_staff_see_the_same_last_day(db: Any, team: Team) -> None:
    year = clock.now().year + 1
    campaign = open_campaign(db, team, closes_on=f"{year}-03-01")  # the last day, as the builder asks it
    line = f"Last day to sign: March 1, {year} (UTC)"
    assert line in said(team.organizer.browser.get(f"/organize/campaigns/{campaign.id}"))
    assert line in said(team.staff.browser.get(f"/staff/moderation/{campaign.id}"))
