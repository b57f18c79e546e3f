"""On a 375 px phone: the Send button of a letter campaign comes soon, the letter reads as flowing
paragraphs, and the dashboard's charts can be read."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from campaign.targets.demo import BODY
from campaign.targets.preview import reflow
from tests.e2e.world import ORGANIZER, build_world, in_language, sign_in

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
# How far down the page a phone's reader may have to scroll to reach the Send button: about two
# screens (the campaign's picture and the form itself come first; the letter, who runs the campaign,
# the ledger and the campaign's own words come after). It was ~4,400 px when the letter came first.
SEND_BUTTON_WITHIN_PX = 1800
SMALLEST_READABLE_PX = 11


def page_at(browser: Any, viewport: dict[str, int]) -> Page:
    """A new page of this size in a context of its own."""
    return browser.new_context(viewport=viewport).new_page()


def top_on_page(page: Page, selector: str) -> float:
    """Where an element starts, in pixels from the top of the page."""
    return float(page.locator(selector).evaluate("e => e.getBoundingClientRect().top + window.scrollY"))


@pytest.mark.parametrize("language", ["en", "hy", "fr", "ru"])
def test_on_a_phone_the_send_button_comes_before_the_whole_letter(browser, site, db, language):
    world = build_world(db)
    page = page_at(browser, PHONE)
    page.goto(f"{site}{in_language(f'/campaigns/{world.letter.slug}', language)}")
    send = page.locator(".sign button[type=submit].primary")
    letter = page.locator("[data-letter-preview] .letter-body")

    assert top_on_page(page, ".sign button[type=submit].primary") <= SEND_BUTTON_WITHIN_PX
    expect(send).to_be_visible()
    expect(letter).to_be_hidden()
    # The whole letter is one tap away, before the button.
    page.locator("details.letter-extras > summary").click()
    expect(letter).to_be_visible()
    expect(letter).to_contain_text("Arms Trade Treaty")
    assert top_on_page(page, "[data-letter-preview] .letter-body") < top_on_page(
        page, ".sign button[type=submit].primary"
    )
    page.context.close()


def test_the_letter_reads_as_paragraphs_not_as_its_hard_wrapped_lines(browser, site, db):
    world = build_world(db)
    page = page_at(browser, PHONE)
    page.goto(f"{site}/campaigns/{world.letter.slug}")
    page.locator("details.letter-extras > summary").click()
    text = page.locator("[data-letter-preview] .letter-body").inner_text()
    # A sentence the template breaks at its 80th column flows on; paragraphs and list items stay apart.
    assert "there were reports that sighting and targeting systems" in text
    assert "exports where there is a substantial risk" in text
    assert "I ask you:\n\n- to suspend export permits" in text
    assert "investigated;\n- to publish" in text
    assert "Yours sincerely,\n" in text
    # Every rendered line but a paragraph's last fills most of the box: none is cut short by a hard break.
    widths = page.locator("[data-letter-preview] .letter-body").evaluate(
        """body => {
            const range = document.createRange();
            range.selectNodeContents(body);
            const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
            const lines = new Map();
            for (const r of rects) {
                const y = Math.round(r.top);
                lines.set(y, Math.max(lines.get(y) || 0, r.right - body.getBoundingClientRect().left));
            }
            return {box: body.clientWidth, lines: Array.from(lines.values())};
        }"""
    )
    short = [width for width in widths["lines"] if width < widths["box"] * 0.5]
    # The short lines are the ends of paragraphs and list items, the greeting and the signature.
    assert len(short) <= 8, widths
    page.context.close()


def test_reflow_joins_wrapped_lines_and_keeps_paragraphs_lists_and_signatures():
    flowing = reflow(BODY)
    assert "there were reports that sighting and targeting" in flowing
    assert "against civilians in this conflict" in flowing  # a list item's continuation joins its item
    assert "\n- to publish the findings of that investigation;\n" in flowing
    assert "Yours sincerely,\n$name\n$place" in flowing
    assert flowing.count("\n\n") == BODY.count("\n\n")
    # A letter written one paragraph per line is left as it is.
    unwrapped = "Dear $official_name,\n\n" + "A long paragraph. " * 20 + "\nYours,\n$name"
    assert reflow(unwrapped) == unwrapped


@pytest.mark.parametrize(("viewport", "largest_px"), [(PHONE, 16), (DESKTOP, 18)])
def test_the_dashboard_charts_are_readable_on_a_phone(browser, site, db, viewport, largest_px):
    world = build_world(db)
    page = page_at(browser, viewport)
    sign_in(page, site, ORGANIZER, world.organizer_secret, "en")
    page.goto(f"{site}/organize/campaigns/{world.petition.id}/dashboard")
    expect(page.get_by_role("img", name="Confirmed signatures by country")).to_be_visible()
    # The size a label is drawn at: its font size in the chart's units, times the chart's scale.
    sizes = page.locator("svg.chart text").evaluate_all(
        "texts => texts.map(t => parseFloat(getComputedStyle(t).fontSize)"
        " * t.closest('svg').getScreenCTM().a)"
    )
    assert sizes, "the dashboard drew no chart label"
    assert min(sizes) >= SMALLEST_READABLE_PX, sizes
    assert max(sizes) <= largest_px, sizes
    page.context.close()
