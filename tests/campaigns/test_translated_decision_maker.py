"""Whom a campaign addresses, in the reader's language: the decision maker is translated like the title.

An organizer names the decision maker in each translation; a reader of that
language reads it, marked with its language, on the campaign's page; a reader
of a language without it reads the campaign's own words, marked with the
campaign's language. On a live campaign the translated decision maker is a
change under review, shown to its reviewers beside the other words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, text

from campaign.accounts.models import ChangeReview
from campaign.builder.models import ChangeKind, ChangeRequest, ChangeStatus
from tests.support.builder import Person, Team, draft_of, open_campaign, press, staff_reviewed_member
from tests.support.migrations import migrated_app
from tests.support.translations import translate

OWN = "The Parliament of Canada"
HY_DECISION_MAKER = "Կանադայի խորհրդարանը"


def _decision_maker(page: str) -> tuple[str, str]:
    """The decision maker's card on a public page: its language and its words."""
    card = page.split('<p class="decision-maker" lang="', 1)[1]
    language, rest = card.split('">', 1)
    return language, rest.split("</p>", 1)[0]


def _page(team: Team, campaign: Any, language: str) -> str:
    """The campaign's public page in a language."""
    return team.visitor.get(f"/campaigns/{campaign.slug}?lang={language}").get_data(as_text=True)


def test_the_armenian_page_names_the_decision_maker_in_armenian_and_others_in_the_campaigns_words(
    db: Any, team: Team
) -> None:
    campaign = draft_of(db, team.organizer, team.organization, decision_maker=OWN)
    form = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}/translations/hy")
    # Written in Armenian, as the other fields are.
    assert 'lang="hy" maxlength="200" name="decision_maker"' in form.get_data(as_text=True)
    browser = team.organizer.browser
    assert translate(browser, campaign, "hy", decision_maker=HY_DECISION_MAKER).status_code == 303
    # A French translation that leaves the decision maker to the campaign's own words.
    french = {"title": "Reconnaître l'Artsakh", "summary": "Signez."}
    assert translate(browser, campaign, "fr", **french).status_code == 303
    page = f"/organize/campaigns/{campaign.id}"
    assert press(team.organizer, page, f"{page}/submit").status_code == 303
    review = f"/staff/moderation/{campaign.id}"
    # Staff review it with the other translated words.
    reviewed = team.staff.browser.get(review).get_data(as_text=True)
    assert f'<p class="decision-maker">{HY_DECISION_MAKER}</p>' in reviewed
    assert press(team.staff, review, f"{review}/approve").status_code == 303

    armenian = _page(team, campaign, "hy")
    assert _decision_maker(armenian) == ("hy", HY_DECISION_MAKER)
    assert _decision_maker(_page(team, campaign, "en")) == ("en", OWN)
    # Russian has no translation, French no decision maker: the campaign's own words, marked English.
    russian = _page(team, campaign, "ru")
    assert '<html lang="ru"' in russian and _decision_maker(russian) == ("en", OWN)
    assert _decision_maker(_page(team, campaign, "fr")) == ("en", OWN)


def test_a_campaign_that_names_no_decision_maker_is_not_asked_for_one(db: Any, team: Team) -> None:
    campaign = draft_of(db, team.organizer, team.organization)
    form = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}/translations/hy")
    assert 'name="decision_maker"' not in form.get_data(as_text=True)


@pytest.fixture
def member(app: Any, db: Any, team: Team) -> Person:
    """A member (not an owner) of the organizer's organization, whose changes staff approve."""
    return staff_reviewed_member(app, db, team)


def test_a_translated_decision_maker_on_a_live_campaign_waits_for_staff_like_the_title(
    db: Any, team: Team, member: Person
) -> None:
    campaign = open_campaign(db, team, decision_maker=OWN)
    assert translate(member.browser, campaign, "hy", decision_maker=HY_DECISION_MAKER).status_code == 303
    db.session.expire_all()
    [change] = db.session.execute(select(ChangeRequest)).scalars().all()
    assert (change.kind, change.status, change.review_by) == (
        ChangeKind.TRANSLATION,
        ChangeStatus.PENDING,
        ChangeReview.STAFF,
    )
    assert change.payload["decision_maker"] == HY_DECISION_MAKER
    assert _decision_maker(_page(team, campaign, "hy")) == ("en", OWN)

    # Staff read the proposed decision maker with the other words, line by line.
    change_page = f"/staff/moderation/changes/{change.id}"
    shown = team.staff.browser.get(change_page).get_data(as_text=True)
    assert f"+Addressed to: {HY_DECISION_MAKER}" in shown
    assert press(team.staff, change_page, f"{change_page}/approve").status_code == 303

    assert _decision_maker(_page(team, campaign, "hy")) == ("hy", HY_DECISION_MAKER)
    assert _decision_maker(_page(team, campaign, "en")) == ("en", OWN)


AT = datetime(2026, 12, 8, 9, 15)
INSERTS = (
    "INSERT INTO campaigns (id, slug, kind, title, summary, body_markdown, goal, status, language,"
    " created_at, updated_at) VALUES (1, 'kept', 'petition', 'T', 'S', 'B', 1000, 'open', 'en', :at, :at)",
    "INSERT INTO campaign_translations (id, campaign_id, language, title, summary, body_markdown,"
    " share_text, created_at, updated_at)"
    " VALUES (1, 1, 'hy', 'Վերնագիր', 'Ամփոփում', 'Տեքստ', 'Կիսվել', :at, :at)",
)
WORDS = "SELECT language, title, summary, body_markdown, share_text FROM campaign_translations"


def test_the_migration_adds_an_empty_decision_maker_and_the_downgrade_removes_only_it(
    app: Any, database_url: str
) -> None:
    from flask_migrate import downgrade, upgrade

    from campaign.extensions import db

    with migrated_app(database_url):
        upgrade(revision="0033")
        for insert in INSERTS:
            db.session.execute(text(insert), {"at": AT})
        db.session.commit()
        before = [tuple(row) for row in db.session.execute(text(WORDS))]
        db.session.commit()  # a migration alters the table: no transaction of ours may hold it

        upgrade(revision="0034")
        assert db.session.execute(text("SELECT decision_maker FROM campaign_translations")).scalar() == ""
        db.session.execute(text("UPDATE campaign_translations SET decision_maker = 'Խորհրդարանը'"))
        db.session.commit()
        assert [tuple(row) for row in db.session.execute(text(WORDS))] == before
        db.session.commit()

        downgrade(revision="0033")
        assert [tuple(row) for row in db.session.execute(text(WORDS))] == before
        columns = db.session.execute(text("SELECT * FROM campaign_translations")).keys()
        assert "decision_maker" not in columns
        db.session.commit()


def test_the_demo_petition_names_its_decision_makers_in_each_translation(db: Any, client: Any) -> None:
    from campaign.campaigns.demo import DEMO_TRANSLATIONS, seed_demo

    seed_demo()
    for language, words in DEMO_TRANSLATIONS["recognize-artsakh"].items():
        page = client.get(f"/campaigns/recognize-artsakh?lang={language}").get_data(as_text=True)
        assert _decision_maker(page) == (language, words["decision_maker"])
    english = client.get("/campaigns/recognize-artsakh?lang=en").get_data(as_text=True)
    assert _decision_maker(english) == ("en", "Our national parliaments and governments")
