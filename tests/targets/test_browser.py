"""The letter preview in a real browser, with and without JavaScript (Debian's Chromium via Playwright)."""

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import open_page

pytestmark = pytest.mark.e2e


def fill(page: Page) -> None:
    """Fill in the letter form by its labels, as a signer from Ontario."""
    page.get_by_label("First name", exact=True).fill("Lena")
    page.get_by_label("Last name", exact=True).fill("Hovsepian")
    page.get_by_label("Email", exact=True).fill("lena@example.org")
    page.get_by_label("Country", exact=True).select_option("CA")
    page.get_by_label("Your region", exact=True).select_option("CA-ON")
    # The own words and the whole letter wait behind a disclosure (the Send button stays near on a phone).
    page.get_by_text("Add your own words and read the letter").click()
    page.get_by_label("Your own words to the officials").fill("We sheltered in basements for six weeks.")


def test_the_preview_fills_in_as_the_signer_types(browser, site, db, officials, make_letter_campaign):
    make_letter_campaign()
    page, errors = open_page(browser)
    page.goto(f"{site}/campaigns/letters")
    preview = page.locator("[data-letter-preview]")
    expect(preview.locator("[data-slot=name]").first).to_have_text("[your name]")

    fill(page)
    expect(preview.locator("[data-slot=name]").first).to_have_text("Lena Hovsepian")
    expect(preview.locator("[data-slot=message]")).to_have_text("We sheltered in basements for six weeks.")
    expect(preview.locator("[data-slot=place]").first).to_have_text("Ontario, Canada")
    expect(preview.locator("[data-officials] li")).to_have_count(3)
    expect(preview).to_contain_text("Morgan Ontario, Member of Provincial Parliament")
    assert errors == []
    page.context.close()


def test_without_javascript_the_preview_button_shows_the_letter(
    browser, site, db, officials, make_letter_campaign
):
    make_letter_campaign()
    page, _ = open_page(browser, javascript=False)
    page.goto(f"{site}/campaigns/letters")
    fill(page)
    page.get_by_role("button", name="Preview my letter").click()
    preview = page.locator("[data-letter-preview]")
    expect(preview.locator("[data-slot=name]").first).to_have_text("Lena Hovsepian")
    expect(preview.locator("[data-officials] li")).to_have_count(3)
    expect(page.get_by_label("First name", exact=True)).to_have_value("Lena")
    page.context.close()
