"""What organizers and staff read of a campaign says it plainly: the way to its figures and its
updates from its own page, its language by name, and the staff's fraud tools in the reader's language."""

from __future__ import annotations

from typing import Any

from tests.support.builder import Team, open_campaign


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
