"""The supporter's path in a real browser (Debian's Chromium driven by Playwright)."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import open_page

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("celery_worker")]


def fill_and_sign(page: Page, site: str, slug: str, email: str) -> None:
    """Fill the form the way a supporter does, by its labels."""
    page.goto(f"{site}/campaigns/{slug}?source=telegram")
    page.get_by_label("First name", exact=True).fill("Anahit")
    page.get_by_label("Last name", exact=True).fill("Petrosyan")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Country", exact=True).select_option("AM")
    page.get_by_label("Postal code", exact=True).fill("0010")
    page.get_by_role("button", name="Sign").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()


def test_sign_confirm_and_watch_the_count_move(browser, site, db, mailbox, make_campaign):
    make_campaign(slug="recognize-e2e", title="Recognize Artsakh", goal=100)
    page, errors = open_page(browser)

    fill_and_sign(page, site, "recognize-e2e", "anahit.e2e@example.org")
    [message] = mailbox.wait_for("anahit.e2e@example.org")
    # The worker writes the email on its own BASE_URL (the test worker's is http://localhost);
    # the path is what this served copy of the app answers.
    path = re.search(r"http://localhost(/confirm/\S+)", message.get_content()).group(1)

    page.goto(f"{site}{path}")
    page.get_by_role("button", name="Confirm my signature").click()
    expect(page.get_by_role("heading", name="Thank you, your signature is confirmed")).to_be_visible()
    # The page polls count.json: the count moves without a reload.
    expect(page.locator(".count-value")).to_have_text("1", timeout=15_000)
    expect(page.get_by_role("link", name="WhatsApp")).to_have_attribute(
        "href", re.compile("source%3Dwhatsapp")
    )
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()
    assert errors == []


def test_signing_works_without_javascript_and_errors_are_shown_by_field(
    browser, site, db, mailbox, make_campaign
):
    make_campaign(slug="no-js", title="Without JavaScript")
    page, _ = open_page(browser, javascript=False)
    page.goto(f"{site}/campaigns/no-js")
    page.get_by_label("First name", exact=True).fill("Anahit")
    page.get_by_role("button", name="Sign").click()
    expect(page.get_by_text("Please enter your last name.")).to_be_visible()
    expect(page.get_by_label("Last name", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("First name", exact=True)).to_have_value("Anahit")

    fill_and_sign(page, site, "no-js", "nojs@example.org")
    mailbox.wait_for("nojs@example.org")
