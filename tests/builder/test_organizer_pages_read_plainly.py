"""What organizers and staff read of a campaign says it plainly: the way to its figures and its
updates from its own page, its language by name, and the staff's fraud tools in the reader's language."""

from __future__ import annotations

from typing import Any

from markupsafe import escape

from tests.support.builder import LETTER_FORM, Team, draft_of, open_campaign, press
from tests.support.forms import post_form


def test_an_open_campaigns_page_leads_to_its_dashboard_and_its_updates(db: Any, team: Team) -> None:
    campaign = open_campaign(db, team)
    page = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}").get_data(as_text=True)
    for path in (
        f"/organize/campaigns/{campaign.id}/dashboard",
        f"/organize/campaigns/{campaign.id}/updates",
    ):
        assert f'href="{path}"' in page, path
        assert team.organizer.browser.get(path).status_code == 200, path


def test_the_campaigns_language_is_named_in_the_readers(db: Any, team: Team) -> None:
    campaign = open_campaign(db, team)  # written in English
    organizer = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}?lang=fr").get_data(
        as_text=True
    )
    assert "Langue\u00a0: anglais" in organizer
    staff = team.staff.browser.get(f"/staff/moderation/{campaign.id}?lang=ru").get_data(as_text=True)
    assert "английский" in staff and "Язык: en" not in staff


def test_the_fraud_tools_speak_the_readers_language(db: Any, team: Team) -> None:
    page = team.staff.browser.get("/staff/moderation/fraud/invalidations?lang=ru").get_data(as_text=True)
    assert "Любая кампания" in page and "Any campaign" not in page


def test_organizers_and_staff_are_told_what_their_button_did(db: Any, team: Team) -> None:
    campaign = draft_of(db, team.organizer, team.organization, kind="letter")
    page = f"/organize/campaigns/{campaign.id}"
    saved = post_form(team.organizer.browser, f"{page}/letter", **LETTER_FORM)
    assert saved.status_code == 303
    assert "The letters are saved." in team.organizer.browser.get(saved.headers["Location"]).get_data(
        as_text=True
    )

    assert press(team.organizer, page, f"{page}/submit").status_code == 303
    review = f"/staff/moderation/{campaign.id}"
    approved = press(team.staff, review, f"{review}/approve")
    assert approved.status_code == 303
    told = team.staff.browser.get(approved.headers["Location"]).get_data(as_text=True)
    assert f"“{escape(campaign.title)}” is approved: it is open." in told
