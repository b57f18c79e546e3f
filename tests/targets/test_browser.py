"""The letter preview in a real browser, with and without JavaScript (Debian's Chromium via Playwright)."""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from tests.support.workers import free_port

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture(scope="module")
def site(app: object) -> Iterator[str]:
    """The app served over HTTP on a port of its own."""
    from campaign import create_app

    port = free_port()
    served = create_app({"TESTING": True, "BASE_URL": f"http://127.0.0.1:{port}"})
    server = make_server("127.0.0.1", port, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium."""
    assert Path(CHROMIUM).exists(), "the browser tests need Debian's chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def fill(page: Page) -> None:
    """Fill in the letter form by its labels, as a signer from Ontario."""
    page.get_by_label("First name", exact=True).fill("Lena")
    page.get_by_label("Last name", exact=True).fill("Hovsepian")
    page.get_by_label("Email", exact=True).fill("lena@example.org")
    page.get_by_label("Country", exact=True).select_option("CA")
    page.get_by_label("Your region", exact=True).select_option("CA-ON")
    page.get_by_label("Your own words to the officials").fill("We sheltered in basements for six weeks.")


def test_the_preview_fills_in_as_the_signer_types(browser, site, db, officials, make_letter_campaign):
    make_letter_campaign()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
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
    context.close()


def test_without_javascript_the_preview_button_shows_the_letter(
    browser, site, db, officials, make_letter_campaign
):
    make_letter_campaign()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/campaigns/letters")
    fill(page)
    page.get_by_role("button", name="Preview my letter").click()
    preview = page.locator("[data-letter-preview]")
    expect(preview.locator("[data-slot=name]").first).to_have_text("Lena Hovsepian")
    expect(preview.locator("[data-officials] li")).to_have_count(3)
    expect(page.get_by_label("First name", exact=True)).to_have_value("Lena")
    context.close()
