"""Choosing the language: by the address or the browser, shown everywhere, kept in mail."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.numbers import format_decimal
from babel.support import Translations
from sqlalchemy import select

from campaign.signing.models import Signature
from tests.support.forms import csrf_token

CATALOGS = Path(__file__).resolve().parents[2] / "campaign" / "translations"
NAMES = ["English", "Հայերեն", "Français", "Русский"]


def translated(language: str, message: str) -> str:
    """A message as the language's catalog has it (English: itself); the catalog must have it."""
    if language == "en":
        return message
    text = Translations.load(str(CATALOGS), [language]).gettext(message)
    assert text != message, f"the {language} catalog does not translate {message!r} yet"
    return text


def html_lang(page: str) -> str:
    """The language the page says it is in."""
    return re.search(r'<html lang="([^"]+)" dir="ltr">', page).group(1)


def test_the_address_chooses_the_language(client, make_campaign):
    make_campaign(slug="recognize", goal=2500)
    response = client.get("/campaigns/recognize?lang=hy", headers={"Accept-Language": "ru"})
    page = response.get_data(as_text=True)
    assert html_lang(page) == "hy"
    assert translated("hy", "Sign this petition") in page
    # Country names as Armenian readers write them, and the form posts in the same language.
    assert '<option value="AM">Հայաստան</option>' in page
    assert 'action="/campaigns/recognize/sign?lang=hy"' in page
    # The address names the language, so the page does not depend on the browser's header.
    assert "Accept-Language" not in response.headers.get("Vary", "")


def test_the_browser_chooses_the_language_and_caches_are_told(client, make_campaign):
    make_campaign(slug="recognize", goal=2500)
    response = client.get("/campaigns/recognize", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    page = response.get_data(as_text=True)
    assert html_lang(page) == "ru"
    assert translated("ru", "Sign this petition") in page
    assert '<option value="AM">Армения</option>' in page
    assert "Accept-Language" in response.headers["Vary"]
    # The goal as Russian readers write numbers (2 500).
    assert format_decimal(2500, locale="ru") in page and "2,500" not in page


def test_a_canadian_french_browser_reads_french(client, make_campaign):
    make_campaign(slug="recognize", goal=2500)
    page = client.get("/", headers={"Accept-Language": "fr-CA"}).get_data(as_text=True)
    assert html_lang(page) == "fr"
    assert translated("fr", "Open campaigns") in page
    assert format_decimal(2500, locale="fr") in page


def test_no_language_we_ship_means_english(client, make_campaign):
    make_campaign(slug="recognize", goal=2500)
    response = client.get("/campaigns/recognize?lang=xx", headers={"Accept-Language": "de"})
    page = response.get_data(as_text=True)
    assert html_lang(page) == "en"
    assert "Sign this petition" in page and '<option value="AM">Armenia</option>' in page


@pytest.mark.parametrize("path", ["/", "/campaigns/recognize", "/my/", "/campaigns/nowhere"])
def test_every_page_has_the_switcher_in_each_language_s_own_name(client, make_campaign, path):
    make_campaign(slug="recognize")
    page = client.get(path + "?lang=fr").get_data(as_text=True)
    switcher = re.search(r'<nav class="language-switch".*?</nav>', page, re.DOTALL).group(0)
    for code, name in zip(["en", "hy", "fr", "ru"], NAMES, strict=True):
        assert f'lang="{code}" hreflang="{code}"' in switcher and name in switcher
    assert f'href="{path}?lang=hy"' in switcher
    assert 'aria-current="true">Français<' in switcher


def test_each_language_gets_its_own_campaign_page(client, make_campaign):
    """The page is rendered once per campaign and language, never served in another's."""
    make_campaign(slug="recognize")
    for language in ["ru", "hy", "en", "ru"]:
        response = client.get("/campaigns/recognize", headers={"Accept-Language": language})
        page = response.get_data(as_text=True)
        assert html_lang(page) == language
    page = client.get("/campaigns/recognize?source=telegram", headers={"Accept-Language": "hy"}).get_data(
        as_text=True
    )
    assert 'href="/campaigns/recognize?lang=ru"' in page  # the visitor's source tag is not in the switcher


def test_a_chosen_language_is_kept_from_page_to_page(client, make_campaign):
    make_campaign(slug="recognize")
    page = client.get("/?lang=ru").get_data(as_text=True)
    assert 'href="/campaigns/recognize?lang=ru"' in page


@pytest.mark.usefixtures("celery_worker")
def test_the_confirmation_email_is_in_the_language_the_supporter_signed_in(
    db, client, mailbox, make_campaign
):
    make_campaign(slug="recognize", title="Recognize Artsakh")
    page = client.get("/campaigns/recognize?lang=hy").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(page),
        "given_name": "Anahit",
        "family_name": "Petrosyan",
        "email": "anahit@example.org",
        "country": "AM",
        "postal_code": "0010",
    }
    response = client.post("/campaigns/recognize/sign?lang=hy", data=form)
    assert response.status_code == 303 and response.headers["Location"].endswith("check-your-inbox?lang=hy")
    assert db.session.execute(select(Signature.language)).scalar_one() == "hy"

    [message] = mailbox.wait_for("anahit@example.org")
    subject = translated("hy", "Please confirm your signature: %(title)s") % {"title": "Recognize Artsakh"}
    assert message["Subject"] == subject
    body = message.get_content()
    instruction = "Please confirm the signature by opening this link and pressing the button:"
    assert translated("hy", instruction) in body
    # Its link opens the confirmation page in Armenian, whatever the browser says.
    link = re.search(r"http://localhost(/confirm/\S+)", body).group(1)
    assert link.endswith("?lang=hy")
    confirm = client.get(link, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html_lang(confirm) == "hy"
    assert translated("hy", "Confirm my signature") in confirm
