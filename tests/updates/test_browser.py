"""An organizer writes, previews and sends an update, then opens the dashboard, in a real browser."""

from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import expect

from campaign import clock
from campaign.accounts.models import MemberRole, Role
from campaign.accounts.service import create_user
from campaign.counts import fold as counts
from tests.support.accounts import PASSWORD, code_at
from tests.support.browser import open_page
from tests.support.organizations import join, make_organization
from tests.support.signers import add_signer

pytestmark = pytest.mark.e2e


@pytest.mark.usefixtures("celery_worker")
def test_an_organizer_sends_an_update_and_reads_the_dashboard_without_csp_errors(
    browser, site, db, make_campaign, mailbox
):
    relief = make_organization(db, "Armenian Relief")
    campaign = make_campaign(slug="recognize", title="Recognize Artsakh", organization_id=relief.id)
    add_signer(db, campaign, "anahit@example.org", source="newsletter")
    counts.fold_signatures(batch=100)
    organizer = create_user("organizer@example.org", PASSWORD, Role.ORGANIZER, "Organizer")
    # An owner, who signs in with two-factor and so sends at once (a member's update waits for approval).
    secret = pyotp.random_base32()
    organizer.totp_secret, organizer.totp_enabled_at = secret, clock.now()
    db.session.commit()
    join(db, organizer, relief, MemberRole.OWNER)

    page, errors = open_page(browser, javascript=False)
    page.goto(f"{site}/login?next=/organize/overview")
    page.get_by_label("Email").fill("organizer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(code_at(secret))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Updates to signers").click()
    page.get_by_label("Subject").fill("The vote is on Monday")
    page.get_by_label("Message (Markdown)").fill("Please **call** your representative.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".update-preview strong")).to_have_text("call")
    page.get_by_role("button", name="Send to 1 signer").click()
    expect(page.locator(".update-state")).to_have_text("Queued for every recipient", timeout=15_000)
    (message,) = mailbox.wait_for("anahit@example.org")
    # The worker writes links on its own BASE_URL; the path is what matters here.
    unsubscribe_path = urlsplit(message["List-Unsubscribe"].strip("<>")).path
    assert unsubscribe_path.startswith("/u/")

    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator(".figure-signatures")).to_have_text("1")
    expect(page.locator("svg.chart")).to_have_count(4)
    expect(page.get_by_role("img", name="Confirmed signatures by source")).to_be_visible()
    expect(page.locator("#chart-sources table")).to_contain_text("newsletter")
    assert errors == []
    page.context.close()

    # The mail's link, opened without cookies: a button, and one press unsubscribes.
    visitor, visitor_errors = open_page(browser, javascript=False)
    visitor.goto(site + unsubscribe_path)
    visitor.get_by_role("button", name="Stop the updates").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("You will receive no more updates")
    assert visitor_errors == []
    visitor.context.close()
