"""axe-core finds nothing on any page, public, organizer's or staff's, on a phone and on a desktop,
in every language; and on a phone no page scrolls sideways.

axe-core comes from npm (package-lock.json, installed by `make node_modules/.installed`) and is
injected into each page from that file: the site never serves it and no CDN is asked. It goes in
as an init script, evaluated by the browser itself before the page's own scripts: the pages keep
their Content-Security-Policy (which would refuse a <script> tag added to them), and one
injection per context is faster than a tag per page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.e2e.world import NEWCOMER, ORGANIZER, STAFF, World, build_world, in_language, sign_in
from tests.support.run import ROOT

pytestmark = pytest.mark.e2e

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
LANGUAGES = ["en", "hy", "fr", "ru"]


def public_pages(world: World) -> list[str]:
    """Every page a supporter may see."""
    petition, letter = world.petition.slug, world.letter.slug
    return [
        "/",
        "/ended",
        "/campaigns/ended",  # a campaign that ended: no form, the ways to the others
        f"/campaigns/{petition}",
        f"/campaigns/{letter}",
        f"/campaigns/{petition}/check-your-inbox",
        f"/campaigns/{petition}/thanks",
        f"/campaigns/{petition}/embed",
        f"/campaigns/{petition}/embed/check-your-inbox",
        f"/campaigns/{petition}/ledger",
        world.confirm_path,
        "/my/",
        world.my_path,
        f"{world.my_path}/erase",
        "/login",
        "/password/forgot",
        world.links["receipt"],
        world.links["unsubscribe"],
        world.links["replied"],
        world.links["reset"],
        world.links["invitation"],
    ]


def organizer_pages(world: World) -> list[str]:
    """Every page an organizer works in."""
    petition, letter, draft = world.petition.id, world.letter.id, world.draft.id
    return [
        "/organize/",
        "/organize/overview",
        "/organize/campaigns/new",
        f"/organize/campaigns/{draft}",
        f"/organize/campaigns/{draft}/edit",
        f"/organize/campaigns/{petition}",
        f"/organize/campaigns/{petition}/revise",
        f"/organize/campaigns/{petition}/translations",
        f"/organize/campaigns/{petition}/translations/hy",
        f"/organize/campaigns/{petition}/comments",
        f"/organize/campaigns/{petition}/dashboard",
        f"/organize/campaigns/{petition}/updates",
        f"/organize/campaigns/{letter}",
        f"/organize/campaigns/{letter}/letter/revise",
        f"/organize/campaigns/{letter}/letters",
        f"/organize/campaigns/{letter}/dashboard",
        "/account",
        "/organizations",
        world.links["organization"],
        f"{world.links['organization']}/webhooks",
        "/account/tokens/",
        "/organize/partners",
        f"/organize/campaigns/{petition}/partners",
        world.links["draft_letter"],
        world.links["change"],
        world.links["update"],
    ]


def staff_pages(world: World) -> list[str]:
    """Every page staff review, export and manage accounts in."""
    return [
        "/staff/moderation/",
        f"/staff/moderation/{world.in_review.id}",
        "/staff/moderation/fraud/",
        "/staff/moderation/fraud/invalidations",
        "/staff/exports/",
        "/staff/letters/held",
        "/staff/officials/paused",
        "/staff/users",
        world.links["staff_change"],
        world.links["staff_user"],
        world.links["export"],
    ]


def axe_violations(page: Page) -> list[str]:
    """Run axe-core (loaded by the context) on the page; one readable line per violation and element."""
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} at {json.dumps(node['target'])}"
        for rule in result["violations"]
        for node in rule["nodes"]
    ]


# The innermost elements that stick out on the right, or whose text does: what makes a page scroll.
STICKING_OUT = """() => {
  const edge = document.documentElement.clientWidth;
  const out = (e) => e.getBoundingClientRect().right > edge + 1
    || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible');
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + [...e.classList].map((c) => '.' + c).join('');
  const all = [...document.body.querySelectorAll('*')].filter(out);
  return all.filter((e) => !all.some((d) => d !== e && e.contains(d))).slice(0, 3).map(name);
}"""


def sideways_scroll(page: Page) -> str | None:
    """How far the page scrolls sideways, if it does, and which elements stick out."""
    width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    if width[0] <= width[1]:
        return None
    return f"scrollWidth {width[0]} > clientWidth {width[1]}: {', '.join(page.evaluate(STICKING_OUT))}"


def check(page: Page, url: str, problems: dict[str, list[str]], is_phone: bool, status: int = 0) -> None:
    """Open a page (or check the one shown) and note what axe and the sideways scroll find.

    The page must answer a success, or `status` when one is given (the page a wrong address gets).
    """
    if url:
        response = page.goto(url)
        # The page itself, not an error or the login page it would send a stranger to.
        assert response is not None and (response.status == status if status else response.ok), (
            f"{url}: {response and response.status}"
        )
        assert urlsplit(page.url).path == urlsplit(url).path, f"{url} led to {page.url}"
    found = axe_violations(page)
    if is_phone and (scroll := sideways_scroll(page)):
        found.append(scroll)
    if found:
        problems[url or page.url] = found


@pytest.fixture(scope="module")
def contexts(browser: Any) -> Iterator[dict[str, BrowserContext]]:
    """One context per viewport, axe-core loaded into each of its pages."""
    made = {
        "phone": browser.new_context(viewport=PHONE),
        "desktop": browser.new_context(viewport=DESKTOP),
    }
    for context in made.values():
        context.add_init_script(path=str(AXE))
    yield made
    for context in made.values():
        context.close()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_finds_nothing_and_no_page_scrolls_sideways(contexts, site, db, viewport, language):
    world = build_world(db)
    page = contexts[viewport].new_page()
    is_phone = viewport == "phone"
    problems: dict[str, list[str]] = {}
    try:
        for path in public_pages(world):
            check(page, f"{site}{in_language(path, language)}", problems, is_phone)
        check(page, f"{site}{in_language('/campaigns/no-such-campaign', language)}", problems, is_phone, 404)
        # The sign form sent empty: the page with every field's error.
        page.goto(f"{site}{in_language(f'/campaigns/{world.petition.slug}', language)}")
        page.locator("form[data-challenge-url] button[type=submit].primary").click()
        page.wait_for_load_state()
        check(page, "", problems, is_phone)
        # The letter as the server previews it (without JavaScript): the whole letter open.
        page.goto(f"{site}{in_language(f'/campaigns/{world.letter.slug}', language)}")
        page.locator("details.letter-extras > summary").click()
        page.locator("[data-letter-preview] button[type=submit]").click()
        page.wait_for_load_state()
        check(page, "", problems, is_phone)
        sign_in(
            page,
            site,
            ORGANIZER,
            world.organizer_secret,
            language,
            lambda: check(page, "", problems, is_phone),
        )
        for path in organizer_pages(world):
            check(page, f"{site}{in_language(path, language)}", problems, is_phone)
        # Enrolling an authenticator: the page of an organizer without a second factor yet.
        sign_in(page, site, NEWCOMER, None, language)
        check(page, f"{site}{in_language('/account/two-factor', language)}", problems, is_phone)
        sign_in(page, site, STAFF, world.staff_secret, language)
        for path in staff_pages(world):
            check(page, f"{site}{in_language(path, language)}", problems, is_phone)
    finally:
        page.context.clear_cookies()
        page.close()
    report = "\n".join(f"{url}\n  " + "\n  ".join(found) for url, found in problems.items())
    assert not problems, f"at {viewport} width in {language}:\n{report}"
