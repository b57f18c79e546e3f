"""The letter preview in a page whose language is not the letter's: the officials still come (the
address of officials.json keeps the page's ?lang=), and the signer's place is named as the letter
that is sent names it, in the letter's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from campaign.targets.messages import write_letter
from campaign.targets.models import Letter
from tests.support.browser import open_page


def letter_body(html: str) -> str:
    """The body of the previewed letter in a page, its markup taken out."""
    found = re.search(r'<div class="letter-body">(.*?)</div>', html, re.DOTALL)
    assert found, "the page shows no letter preview"
    return re.sub(r"<[^>]+>", "", found.group(1))


@pytest.mark.e2e
@pytest.mark.parametrize("language", ["fr", "hy", "ru"])
@pytest.mark.parametrize("path", ["/campaigns/letters", "/campaigns/letters/embed"])
def test_a_page_with_lang_lists_the_officials_of_the_chosen_country(
    browser: Any, site: str, db: Any, officials: Any, make_letter_campaign: Any, language: str, path: str
) -> None:
    make_letter_campaign()
    page, errors = open_page(browser)
    failed: list[str] = []
    page.on("response", lambda answer: failed.append(answer.url) if answer.status >= 400 else None)
    page.goto(f"{site}{path}?lang={language}")
    with page.expect_response(lambda answer: "officials.json" in answer.url) as asked:
        page.locator("select[name=country]").select_option("CA")
    assert asked.value.status == 200
    assert f"lang={language}" in asked.value.url and "country=CA" in asked.value.url
    page.locator("details.letter-extras summary").click()
    preview = page.locator("[data-letter-preview]")
    expect(preview.locator("[data-officials] li")).to_have_count(2)
    expect(preview).to_contain_text("Alex Federal, Minister of Foreign Affairs")
    # The letter is in English: it names the country in English, whatever the page's language.
    expect(preview.locator("[data-slot=place]").first).to_have_text("Canada")

    page.locator("select[name=region]").select_option("CA-ON")
    expect(preview.locator("[data-officials] li")).to_have_count(3)
    expect(preview.locator("[data-slot=place]").first).to_have_text("Ontario, Canada")
    assert failed == []
    assert errors == []
    page.context.close()


def test_the_preview_in_armenian_names_the_country_as_the_english_letter_sent(
    app: Any, client: Any, db: Any, officials: Any, make_letter_campaign: Any, make_signature: Any
) -> None:
    settings = make_letter_campaign()
    signature = make_signature(
        settings.campaign_id, "lena@example.org", country="CA", region=None, language="hy"
    )
    letter = Letter(
        campaign_id=settings.campaign_id, signature_id=signature.id, official_id=officials["ca-trade"].id
    )
    db.session.add(letter)
    db.session.commit()
    with app.app_context():
        sent = write_letter(letter).body
    assert "I write from Canada." in sent

    form = {"given_name": "Lena", "family_name": "Hovsepian", "email": "lena@example.org", "country": "CA"}
    shown = client.post("/campaigns/letters/letter-preview?lang=hy", data=form)
    page = shown.get_data(as_text=True)
    assert 'lang="hy"' in page
    assert "I write from Canada." in letter_body(page)
    assert "Կանադա" not in letter_body(page)

    answer = client.get("/campaigns/letters/officials.json?lang=hy&country=CA&region=")
    assert answer.status_code == 200
    assert answer.get_json()["place"] == "Canada"
