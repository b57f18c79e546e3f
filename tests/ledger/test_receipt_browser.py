"""The receipt page checks its proof in a real browser (static/js/receipt.js); says the same without it."""

import pytest
from playwright.sync_api import expect

from campaign.counts import fold as counts
from campaign.ledger.heads import publish_heads
from campaign.ledger.receipt_ids import receipt_for
from tests.ledger.test_ledger import add_signers
from tests.support.browser import open_page

pytestmark = pytest.mark.e2e

VALID = "Checked in your browser: it holds."
FAILED = "Checked in your browser: it does NOT hold."


@pytest.fixture
def receipt(db, make_campaign):
    """The receipt of the third of five counted signatures, in a published head."""
    campaign = make_campaign(slug="recognize")
    ids = add_signers(db, campaign, 5)
    counts.fold_signatures(batch=1000)
    publish_heads()
    made = receipt_for(ids[2])
    db.session.commit()
    return made


def test_a_valid_receipt_is_proven_in_the_browser(browser, site, receipt):
    page, errors = open_page(browser)
    page.goto(f"{site}/campaigns/recognize/receipts/{receipt}")
    expect(page.locator("[data-check-state=valid]")).to_be_visible()
    expect(page.locator("[data-check-state=valid]")).to_contain_text(VALID)
    expect(page.locator("[data-check-state=invalid]")).to_be_hidden()
    assert errors == []  # no CSP violation, no script error
    page.context.close()


def test_a_tampered_audit_path_fails_the_check(browser, site, receipt):
    page, _ = open_page(browser)

    def tamper(route):
        """Flip one bit of the proof's first hash in the JSON answer; the page itself goes through."""
        if "application/json" not in route.request.headers.get("accept", ""):
            route.continue_()
            return
        answer = route.fetch()
        proof = answer.json()
        first = bytearray(bytes.fromhex(proof["audit_path"][0]))
        first[0] ^= 1
        proof["audit_path"][0] = first.hex()
        route.fulfill(response=answer, json=proof)

    page.route(f"**/receipts/{receipt}", tamper)
    page.goto(f"{site}/campaigns/recognize/receipts/{receipt}")
    expect(page.locator("[data-check-state=invalid]")).to_be_visible()
    expect(page.locator("[data-check-state=invalid]")).to_contain_text(FAILED)
    expect(page.locator("[data-check-state=valid]")).to_be_hidden()
    page.context.close()


def test_without_javascript_the_page_explains_how_to_check_it(browser, site, receipt):
    page, _ = open_page(browser, javascript=False)
    page.goto(f"{site}/campaigns/recognize/receipts/{receipt}")
    expect(page.get_by_role("heading", name="What this proves")).to_be_visible()
    expect(page.get_by_role("heading", name="How to check it yourself")).to_be_visible()
    expect(page.locator("pre")).to_contain_text(f"--receipt {site}/campaigns/recognize/receipts/{receipt}")
    for state in ("checking", "valid", "invalid", "unavailable"):
        expect(page.locator(f"[data-check-state={state}]")).to_be_hidden()
    page.context.close()
