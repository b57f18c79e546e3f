"""A supporter's whole path in their own language, as issue 11 says it must work.

A phone-sized Chromium whose language is Armenian (then Russian, then French),
with JavaScript off, opens the demo petition (its translations are seeded
with the demo), reads it in that language with country names in that
language, signs, receives the confirmation email in that language, confirms,
and then sees their reason for signing on the campaign page, with their first
name and their country in that language. A link's hidden ?lang= plays no
part: the browser's own language (Accept-Language) chooses.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask_babel import force_locale, gettext
from playwright.sync_api import expect

from campaign.campaigns.demo import DEMO_TRANSLATIONS, seed_demo

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("celery_worker")]

SLUG = "recognize-artsakh"
# language -> (browser locale, Armenia's name in it, the reason a signer gives).
LANGUAGES = {
    "hy": ("hy-AM", "Հայաստան", "Իմ տատիկը Ստեփանակերտից է"),
    "ru": ("ru-RU", "Армения", "Моя бабушка из Степанакерта"),
    "fr": ("fr-FR", "Arménie", "Ma grand-mère est de Stepanakert"),
}


def translated(app: Any, language: str, message: str) -> str:
    """What the interface says for an English message in a language (from its catalog)."""
    with app.test_request_context(), force_locale(language):
        text = gettext(message)
    assert text != message, f"{message!r} has no {language} translation"
    return text


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_phone_in_the_supporters_language_reads_signs_confirms_and_sees_its_reason(
    app: Any, browser: Any, site: str, db: Any, mailbox: Any, language: str
) -> None:
    seed_demo()
    db.session.commit()
    locale, armenia, reason = LANGUAGES[language]
    words = DEMO_TRANSLATIONS[SLUG][language]
    context = browser.new_context(
        java_script_enabled=False,
        locale=locale,
        viewport={"width": 375, "height": 812},
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    try:
        page.goto(f"{site}/campaigns/{SLUG}")
        # The campaign in the reader's language, the page saying so.
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("heading", level=1)).to_have_text(words["title"])
        country = page.locator("select[name=country]")
        expect(country.locator("option[value=AM]")).to_have_text(armenia)

        email = f"supporter-{language}@example.org"
        page.locator("input[name=given_name]").fill("Anahit")
        page.locator("input[name=family_name]").fill("Petrosyan")
        page.locator("input[name=email]").fill(email)
        country.select_option("AM")
        page.locator("input[name=postal_code]").fill("0010")
        page.locator("textarea[name=comment]").fill(reason)
        page.locator("input[name=comment_public]").check()
        page.locator("form[action$='/sign'] button[type=submit]").click()
        check_inbox = translated(app, language, "Check your inbox")
        expect(page.get_by_role("heading", level=1)).to_have_text(check_inbox)

        [message] = mailbox.wait_for(email)
        body = message.get_content()
        subject = translated(app, language, "Please confirm your signature: %(title)s")
        # (A header folds no-break spaces, as French puts before a colon, into plain ones.)
        assert str(message["Subject"]).split() == (subject % {"title": words["title"]}).split()
        assert words["title"] in body
        path = re.search(r"http://localhost(/confirm/\S+)", body).group(1)

        page.goto(f"{site}{path}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        page.locator("main form button[type=submit]").click()
        expect(page).to_have_url(re.compile(rf"/campaigns/{SLUG}/thanks"))

        # The reason for signing, shown once the signature counts (the page keeps its list a few seconds).
        shown = page.locator(".reasons")
        for _ in range(20):
            page.goto(f"{site}/campaigns/{SLUG}")
            if shown.get_by_text(reason).count():
                break
            page.wait_for_timeout(1000)
        expect(shown.get_by_text(reason)).to_be_visible()
        expect(shown).to_contain_text("Anahit")
        expect(shown).to_contain_text(armenia)
        expect(shown).not_to_contain_text("Petrosyan")
    finally:
        context.close()
