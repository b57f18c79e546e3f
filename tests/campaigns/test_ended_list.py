"""The campaigns that ended, and what came of them: a public list, a page at a time."""

# French text, with its apostrophes.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from campaign import clock
from campaign.campaigns import translations
from campaign.campaigns.models import CampaignStatus, OutcomeKind
from tests.support.counts import fold_all
from tests.support.signers import add_signatures_in_bulk


def names(page: str) -> list[str]:
    """The titles a list page shows, in its order."""
    return re.findall(r'<h2 lang="\w+"><a href="/campaigns/([\w-]+)[^"]*">', page)


def test_the_list_shows_what_ended_latest_first_with_its_count_and_outcome(
    client: Any, db: Any, make_campaign: Any
) -> None:
    now = clock.now()
    won = make_campaign(
        slug="suspend-exports",
        title="Suspend the arms exports",
        status=CampaignStatus.CLOSED,
        closed_at=now - timedelta(days=2),
        goal=1000,
        outcome_kind=OutcomeKind.VICTORY,
        outcome_markdown="Canada suspended the permits.",
        outcome_at=now - timedelta(days=1),
    )
    make_campaign(slug="past-deadline", closes_at=now - timedelta(hours=1))
    make_campaign(slug="open-now")
    make_campaign(slug="taken-down", status=CampaignStatus.TAKEN_DOWN, taken_down_at=now - timedelta(hours=2))
    make_campaign(slug="draft", status=CampaignStatus.DRAFT)
    add_signatures_in_bulk(db, won.id, [{"email": f"s{n}@example.org", "country": "CA"} for n in range(1234)])
    fold_all(db)

    response = client.get("/ended")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert names(page) == ["past-deadline", "suspend-exports"]
    assert '<p class="outcome-mark outcome-victory">Victory</p>' in page
    assert "1,234 signatures of 2,500" in page  # its goal raised as it passed 1,000, as on its page
    assert f"ended {now - timedelta(days=2):%B %-d, %Y}" in page
    # The open campaigns' page leads here, and so does an ended campaign's, with the way to those still open.
    assert 'href="/ended"' in client.get("/").get_data(as_text=True)
    ended_page = client.get("/campaigns/suspend-exports").get_data(as_text=True)
    assert 'href="/ended"' in ended_page and 'href="/"' in ended_page
    assert 'href="/ended"' not in client.get("/campaigns/open-now").get_data(as_text=True)


def ended_with_a_response_in_french(db: Any, make_campaign: Any) -> None:
    """A campaign "recognize", in English, that ended with the decision makers' response and is
    translated into French (the response stays in English: organizers write it once)."""
    campaign = make_campaign(
        slug="recognize",
        title="Recognize Artsakh",
        status=CampaignStatus.CLOSED,
        closed_at=clock.now(),
        outcome_kind=OutcomeKind.RESPONSE,
        outcome_markdown="The minister answered.",
        outcome_at=clock.now(),
    )
    translations.save(campaign, "fr", translations.TranslationDraft("Reconnaissez l’Artsakh", "Signez.", "…"))
    db.session.commit()


def test_the_list_reads_in_the_readers_language(client: Any, db: Any, make_campaign: Any) -> None:
    ended_with_a_response_in_french(db, make_campaign)
    page = client.get("/ended?lang=fr").get_data(as_text=True)
    assert "<h1>Campagnes terminées</h1>" in page
    assert '<h2 lang="fr"><a href="/campaigns/recognize?lang=fr">Reconnaissez l’Artsakh</a></h2>' in page
    assert "Les décideurs ont répondu" in page


def test_a_page_at_a_time_and_no_page_that_is_not_there(client: Any, db: Any, make_campaign: Any) -> None:
    now = clock.now()
    for n in range(21):
        make_campaign(slug=f"ended-{n:02}", status=CampaignStatus.CLOSED, closed_at=now - timedelta(hours=n))

    first = client.get("/ended").get_data(as_text=True)
    assert names(first) == [f"ended-{n:02}" for n in range(20)]
    assert 'rel="next" href="/ended?page=2"' in first and 'rel="prev"' not in first
    second = client.get("/ended?page=2").get_data(as_text=True)
    assert names(second) == ["ended-20"]
    assert 'rel="prev" href="/ended"' in second and 'rel="next"' not in second

    # A page past the last is no page; what is not a page number reads as the first (as every list's ?page=).
    assert client.get("/ended?page=3").status_code == 404
    assert client.get("/ended?page=%00").status_code == 400  # a NUL anywhere in an address, as everywhere
    for asked in ("0", "-1", "abc", "²", "1" * 40):
        answer = client.get(f"/ended?page={asked}")
        assert answer.status_code == 200 and names(answer.get_data(as_text=True)) == names(first), asked


@pytest.mark.parametrize("language", ["hy", "ru"])
def test_an_empty_list_says_so_in_each_language(client: Any, db: Any, language: str) -> None:
    from tests.i18n.test_language_choice import translated

    page = client.get(f"/ended?lang={language}").get_data(as_text=True)
    assert translated(language, "No campaign has ended yet.") in page
