"""Campaigns in several languages: organizers translate, supporters read (and are written to) in theirs.

An organizer adds the campaign's words in Armenian, French or Russian; a
reader who asks for that language reads them, marked with their language; a
reader of a language without a translation reads the campaign's own words,
marked with the campaign's language. Staff see every translation, and a
translation added after approval is a change of words under review.
"""

# Armenian and Russian text, whose letters and marks resemble Latin ones.
# ruff: noqa: RUF001

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from campaign.builder.models import ChangeKind, ChangeRequest, ChangeStatus
from campaign.campaigns import translations
from campaign.campaigns.models import Campaign, CampaignKind, CampaignTranslation
from tests.support.accounts import age_second_factor
from tests.support.builder import Team, draft_of, open_campaign, press
from tests.support.forms import csrf_token, post_form
from tests.support.outbox import composed
from tests.support.translations import HY_BODY, HY_SUMMARY, HY_TITLE, translate


def _translate(team: Team, campaign: Any, language: str = "hy", interface: str = "en", **fields: str) -> Any:
    """Post the translation form as the team's organizer would (tests.support.translations.translate)."""
    return translate(team.organizer.browser, campaign, language, interface, **fields)


def _heading(page: str) -> tuple[str, str]:
    """The campaign's title on its public page, and the language it is marked with."""
    match = re.search(r'<h1 lang="([^"]+)">([^<]+)</h1>', page)
    assert match, "no campaign heading"
    return match.group(1), match.group(2)


def test_a_translated_draft_is_read_in_armenian_and_staff_review_every_translation(
    db: Any, team: Team
) -> None:
    campaign = draft_of(db, team.organizer, team.organization)
    response = _translate(team, campaign)
    assert response.status_code == 303
    listing = team.organizer.browser.get(response.headers["Location"]).get_data(as_text=True)
    assert HY_TITLE in listing

    # Staff review the campaign with its translation, each marked with its language.
    page = f"/organize/campaigns/{campaign.id}"
    assert press(team.organizer, page, f"{page}/submit").status_code == 303
    review = team.staff.browser.get(f"/staff/moderation/{campaign.id}").get_data(as_text=True)
    assert "Recognize the Republic of Artsakh" in review
    assert '<article class="translation" lang="hy">' in review
    assert HY_TITLE in review and "<strong>ճանաչի</strong>" in review
    staff_page = f"/staff/moderation/{campaign.id}"
    assert press(team.staff, staff_page, f"{staff_page}/approve").status_code == 303

    armenian = team.visitor.get(f"/campaigns/{campaign.slug}?lang=hy").get_data(as_text=True)
    assert _heading(armenian) == ("hy", HY_TITLE)
    assert f'<p class="summary" lang="hy">{HY_SUMMARY}</p>' in armenian
    assert re.search(r'<section class="body" lang="hy">\s*<p>Խորհրդարանը', armenian)
    assert f'<meta property="og:title" content="{HY_TITLE}">' in armenian

    # No Russian translation: the campaign's own words, marked as English, in a Russian interface.
    russian = team.visitor.get(f"/campaigns/{campaign.slug}?lang=ru").get_data(as_text=True)
    assert '<html lang="ru"' in russian
    assert _heading(russian) == ("en", "Recognize the Republic of Artsakh")
    assert '<section class="body" lang="en">' in russian


@pytest.mark.parametrize("interface", ["en", "hy", "fr"])
def test_a_translation_is_saved_in_its_language_whatever_language_the_organizer_reads(
    db: Any, team: Team, interface: str
) -> None:
    """The form's own address names the language translated into, not the interface's: an organizer
    reading in English saved Armenian words as English, and one reading in the campaign's own
    language lost them to a 404."""
    campaign = draft_of(db, team.organizer, team.organization, language="fr")
    assert _translate(team, campaign, "hy", interface=interface).status_code == 303
    saved = db.session.execute(select(CampaignTranslation.language, CampaignTranslation.title)).all()
    assert [tuple(row) for row in saved] == [("hy", HY_TITLE)]


def test_a_translation_after_approval_waits_like_other_new_words(db: Any, team: Team) -> None:
    campaign = open_campaign(db, team)
    # The owner's second factor is old: the translation waits for it, and the page does not move.
    age_second_factor(db, "ani@example.org", 24 * 3600)
    response = _translate(team, campaign, "fr", title="Reconnaître l'Artsakh", summary="Signez.")
    assert response.status_code == 303
    [change] = db.session.execute(select(ChangeRequest)).scalars().all()
    assert (change.kind, change.status) == (ChangeKind.TRANSLATION, ChangeStatus.PENDING)
    assert change.payload["language"] == "fr"
    french = team.visitor.get(f"/campaigns/{campaign.slug}?lang=fr").get_data(as_text=True)
    assert _heading(french) == ("en", "Recognize the Republic of Artsakh")
    assert db.session.execute(select(CampaignTranslation)).first() is None

    # Staff's view of the change shows the proposed words in their language.
    change_page = team.staff.browser.get(f"/staff/moderation/changes/{change.id}").get_data(as_text=True)
    assert '<p class="change-heading" lang="fr"><strong>Français: Reconnaître l&#39;Artsakh' in change_page


def test_an_owner_with_a_fresh_second_factor_translates_a_live_campaign_at_once(db: Any, team: Team) -> None:
    campaign = open_campaign(db, team)
    assert _translate(team, campaign, "ru", title="Признайте Арцах", summary="Подпишите.").status_code == 303
    db.session.expire_all()
    [change] = db.session.execute(select(ChangeRequest)).scalars().all()
    assert (change.kind, change.status) == (ChangeKind.TRANSLATION, ChangeStatus.APPROVED)
    translations.forget()
    russian = team.visitor.get(f"/campaigns/{campaign.slug}?lang=ru").get_data(as_text=True)
    assert _heading(russian) == ("ru", "Признайте Арцах")


def test_hostile_text_is_refused_and_nothing_is_saved(db: Any, team: Team) -> None:
    campaign = draft_of(db, team.organizer, team.organization)
    response = _translate(team, campaign, title="Արցախ\u202e\x00")
    assert response.status_code == 400
    assert "U+" in response.get_data(as_text=True)
    response = _translate(team, campaign, summary="Signez\ue000 ici")
    assert response.status_code == 400
    assert db.session.execute(select(CampaignTranslation)).first() is None


def test_the_campaign_own_language_and_unknown_languages_are_not_translations(db: Any, team: Team) -> None:
    campaign = draft_of(db, team.organizer, team.organization)
    assert team.organizer.browser.get(f"/organize/campaigns/{campaign.id}/translations/en").status_code == 404
    assert team.organizer.browser.get(f"/organize/campaigns/{campaign.id}/translations/de").status_code == 404


def test_other_organizations_cannot_see_or_translate_a_campaign(db: Any, team: Team) -> None:
    campaign = draft_of(db, team.organizer, team.organization)
    other = team.other_organizer.browser
    assert other.get(f"/organize/campaigns/{campaign.id}/translations").status_code == 404
    assert other.get(f"/organize/campaigns/{campaign.id}/translations/hy").status_code == 404
    action = f"/organize/campaigns/{campaign.id}/translations/hy"
    posted = post_form(other, "/organize/campaigns/new", action, title="Մեր", summary="Մեր")
    assert posted.status_code == 404
    anonymous = team.visitor.get(f"/organize/campaigns/{campaign.id}/translations")
    assert anonymous.status_code in (302, 303, 401)
    assert db.session.execute(select(CampaignTranslation)).first() is None


def test_the_confirmation_email_quotes_the_title_in_the_language_signed_in(
    db: Any, client: Any, make_campaign: Any
) -> None:
    campaign = make_campaign(slug="recognize", title="Recognize Artsakh")
    translations.save(campaign, "hy", translations.TranslationDraft(HY_TITLE, HY_SUMMARY, HY_BODY))
    db.session.commit()
    page = client.get("/campaigns/recognize?lang=hy").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(page),
        "given_name": "Anahit",
        "family_name": "Petrosyan",
        "email": "anahit@example.org",
        "country": "AM",
        "postal_code": "0010",
    }
    assert client.post("/campaigns/recognize/sign?lang=hy", data=form).status_code == 303
    [message] = composed(db, "confirmation")
    assert HY_TITLE in message.subject
    assert HY_TITLE in message.body and "Recognize Artsakh" not in message.body


def test_letters_use_the_translated_letter_of_the_language_signed_in(db: Any, make_campaign: Any) -> None:
    from campaign.targets import letters
    from campaign.targets.models import LetterCampaign, Targeting

    campaign = make_campaign(kind=CampaignKind.LETTER)
    settings = LetterCampaign(
        campaign_id=campaign.id,
        subject_template="Recognize Artsakh",
        body_template="Dear $official_name, please act.",
        targeting=Targeting.ROUTED,
    )
    db.session.add(settings)
    draft = translations.TranslationDraft(
        HY_TITLE, HY_SUMMARY, HY_BODY, letter_subject="Ճանաչե՛ք Արցախը", letter_body="Հարգելի $official_name,"
    )
    translations.save(campaign, "hy", draft)
    db.session.commit()
    values = {"official_name": "Ani"}
    subject, body = letters.letter_text(settings, values, "https://example.org", "hy")
    assert subject == "Ճանաչե՛ք Արցախը" and body.startswith("Հարգելի Ani,")
    # French has no translation: the letter stays in the campaign's own words.
    subject, body = letters.letter_text(settings, values, "https://example.org", "fr")
    assert subject == "Recognize Artsakh" and body.startswith("Dear Ani, please act.")


def test_the_demo_petition_reads_in_armenian_french_and_russian(db: Any, client: Any) -> None:
    from campaign.campaigns.demo import DEMO_TRANSLATIONS, seed_demo

    seed_demo()
    petition = db.session.execute(select(Campaign).where(Campaign.slug == "recognize-artsakh")).scalar_one()
    assert petition.language == "en"
    for language, words in DEMO_TRANSLATIONS["recognize-artsakh"].items():
        page = client.get(f"/campaigns/recognize-artsakh?lang={language}").get_data(as_text=True)
        assert _heading(page) == (language, words["title"].replace("'", "&#39;"))
