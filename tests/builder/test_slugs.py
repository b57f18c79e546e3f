"""Web addresses from titles and names in any script: readable Latin letters, never a placeholder word."""

# Armenian and Russian text, whose letters resemble Latin ones.
# ruff: noqa: RUF001

from __future__ import annotations

import pytest

from campaign import slugs
from campaign.accounts.models import Organization
from tests.support.builder import draft_of
from tests.support.forms import post_form


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Ճանաչե՛ք Արցախը", "chanacheq-artsakhy"),
        ("Ազատություն Արցախին", "azatutyun-artsakhin"),
        ("Երևան և Ոսկեհատ", "yerevan-yev-voskehat"),
        ("Признайте Арцах", "priznaite-artsakh"),
        ("Свобода Щукину", "svoboda-shchukinu"),
        ("Ελευθερία", "eleutheria"),
        ("Ça va déjà, Straße!", "ca-va-deja-strasse"),
        ("Recognize Artsakh: now", "recognize-artsakh-now"),
    ],
)
def test_titles_in_any_script_become_readable_addresses(title, slug):
    assert slugs.slugify(title, fallback="campaign") == slug


def test_a_long_title_is_cut_at_a_word_and_nothing_readable_gives_the_fallback():
    long_title = "Recognize the Republic of Artsakh to protect its civilians from every attack now"
    slug = slugs.slugify(long_title, fallback="campaign")
    assert (
        len(slug) <= 60 and not slug.endswith("-") and long_title.lower().replace(" ", "-").startswith(slug)
    )
    assert slugs.slugify("!!! ???", fallback="campaign") == "campaign"


def test_an_armenian_title_gives_the_draft_a_readable_address(db, team):
    draft = draft_of(db, team.organizer, team.organization, title="Ճանաչե՛ք Արցախը")
    assert draft.slug == "chanacheq-artsakhy"
    again = draft_of(db, team.organizer, team.organization, title="Ճանաչե՛ք Արցախը")
    assert again.slug.startswith("chanacheq-artsakhy-") and again.slug != draft.slug


def test_a_russian_title_gives_a_transliterated_address_and_punctuation_alone_gives_campaign(db, team):
    assert (
        draft_of(db, team.organizer, team.organization, title="Признайте Арцах").slug == "priznaite-artsakh"
    )
    assert draft_of(db, team.organizer, team.organization, title="!!!").slug == "campaign"


def test_an_organization_with_an_armenian_name_gets_a_readable_slug(db, team):
    answer = post_form(team.organizer.browser, "/organizations", name="Արցախի Բարեկամներ")
    assert answer.status_code == 303
    found = db.session.execute(db.select(Organization).where(Organization.name == "Արցախի Բարեկամներ"))
    assert found.scalar_one().slug == "artsakhi-barekamner"
