"""A new organizer's first run: from "Your campaigns" with no organization to the first campaign's form."""

import re

from campaign.accounts.models import Role
from tests.support.forms import csrf_token
from tests.support.people import signed_in


def test_a_new_organizer_names_their_organization_on_the_start_page_then_starts_the_first_campaign(app, db):
    browser, _user = signed_in(app, db, "first@example.org", Role.ORGANIZER)
    start = browser.get("/organize/")
    page = start.get_data(as_text=True)
    assert start.status_code == 200
    # No dead end: what an organization is for, a form to make one here, and how to join one instead.
    assert "First, your organization" in page and "Ask one of its owners to invite you" in page
    assert 'name="then" type="hidden" value="campaign"' in page

    made = browser.post(
        "/organizations",
        data={"csrf_token": csrf_token(page), "name": "Artsakh Relief Paris", "then": "campaign"},
    )
    assert made.status_code == 303 and made.headers["Location"].endswith("/organize/campaigns/new")
    form = browser.get("/organize/campaigns/new").get_data(as_text=True)
    assert "Artsakh Relief Paris is ready. Now start its first campaign." in form
    assert "Artsakh Relief Paris</option>" in form


def test_start_a_campaign_without_an_organization_offers_the_same_first_step(app, db):
    browser, _user = signed_in(app, db, "second@example.org", Role.ORGANIZER)
    answer = browser.get("/organize/campaigns/new")
    assert answer.status_code == 200
    assert "Create the organization and go on" in answer.get_data(as_text=True)


def test_the_organizations_page_still_leads_to_the_new_organization(app, db):
    """Made from the organizations page (no `then`), the organization's own page follows, as before."""
    browser, _user = signed_in(app, db, "third@example.org", Role.ORGANIZER)
    page = browser.get("/organizations").get_data(as_text=True)
    made = browser.post("/organizations", data={"csrf_token": csrf_token(page), "name": "Diaspora Council"})
    assert made.status_code == 303 and "/organizations/" in made.headers["Location"]


def test_a_drafts_overview_lists_every_step_with_where_it_stands_and_submit_as_the_one_primary_action(
    db, team
):
    from tests.support.builder import draft_of

    draft = draft_of(db, team.organizer, team.organization, kind="letter")
    page = team.organizer.browser.get(f"/organize/campaigns/{draft.id}").get_data(as_text=True)
    steps = " ".join(page.split('id="draft-steps-heading"', 1)[1].split("</section>", 1)[0].split())
    assert "The page's words: title, summary and text</a> (done)" in steps
    # The letter is still the builder's starting frame: the step that is left says so, and links to it.
    assert f'href="/organize/campaigns/{draft.id}/letter"' in steps
    assert "The letter, its officials and its delivery</a> (to do)" in steps
    assert "An image, and what it shows</a> (optional)" in steps
    assert page.count('class="button primary"') == 1
    assert '<button type="submit" class="button primary">Submit for review</button>' in page


def test_a_new_owner_made_to_turn_on_two_factor_goes_on_to_the_first_campaign_after(app, db):
    """Naming an organization makes its owner turn on two-factor before anything else; once it is on,
    "Continue" leads where they were going, the first campaign's form, not their account page."""
    import pyotp

    browser, _user = signed_in(app, db, "fourth@example.org", Role.ORGANIZER, two_factor=False)
    page = browser.get("/organize/").get_data(as_text=True)
    made = browser.post(
        "/organizations",
        data={"csrf_token": csrf_token(page), "name": "Artsakh Relief Lyon", "then": "campaign"},
    )
    asked = browser.get(made.headers["Location"])
    assert asked.status_code == 302
    assert asked.headers["Location"] == "/account/two-factor?next=/organize/campaigns/new"
    setup = browser.get(asked.headers["Location"]).get_data(as_text=True)
    secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', setup).group(1)
    codes = browser.post(
        "/account/two-factor",
        data={
            "csrf_token": csrf_token(setup),
            "code": pyotp.TOTP(secret).now(),
            "next": "/organize/campaigns/new",
        },
    ).get_data(as_text=True)
    assert '<a class="button" href="/organize/campaigns/new">Continue</a>' in codes
    assert "Artsakh Relief Lyon</option>" in browser.get("/organize/campaigns/new").get_data(as_text=True)
    # The enrolment form itself carries where they were going (its address names no query).
    assert 'name="next" type="hidden" value="/organize/campaigns/new"' in setup
