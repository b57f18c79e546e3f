"""The API tokens page: a signed-in user makes (after a fresh second factor), sees and revokes
their own tokens, and no one else's; each token shows when it expires."""

import re
from datetime import timedelta

from sqlalchemy import select

from campaign import clock
from campaign.accounts.models import Role
from campaign.accounts.service import TWO_FACTOR_AT
from campaign.api.models import ApiToken
from campaign.audit.models import AuditEvent
from tests.accounts.conftest import code_at, post_form
from tests.support.people import signed_in


def test_a_token_is_shown_once_with_its_expiry_listed_by_prefix_and_revoked(app, db):
    browser, user = signed_in(app, db, "organizer@example.org", Role.ORGANIZER)
    made = post_form(browser, "/account/tokens/", name="Partner CRM sync")
    assert made.status_code == 200
    page = made.get_data(as_text=True)
    secret = re.search(r'<code class="secret">(osdi_[^<]+)</code>', page).group(1)
    expires = (clock.now() + timedelta(days=90)).strftime("%Y-%m-%d")
    assert "It works until <time" in page and expires in page
    assert browser.get("/api/v1/", headers={"OSDI-API-Token": secret}).status_code == 200

    listed = browser.get("/account/tokens/").get_data(as_text=True)
    assert "Partner CRM sync" in listed and secret[:12] in listed and secret not in listed
    assert expires in listed
    token = db.session.execute(select(ApiToken)).scalar_one()
    made_event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "api_token.created")
    ).scalar_one()
    assert (made_event.actor, made_event.details["token_id"]) == (f"user:{user.id}", token.id)
    revoked = post_form(browser, "/account/tokens/", action=f"/account/tokens/{token.id}/revoke")
    assert revoked.status_code == 303
    assert browser.get("/api/v1/", headers={"OSDI-API-Token": secret}).status_code == 401


def test_making_a_token_needs_two_factor_on_and_given_recently(app, db):
    without, _ = signed_in(app, db, "no2fa@example.org", Role.ORGANIZER, two_factor=False)
    assert "turn it on" in without.get("/account/tokens/").get_data(as_text=True)
    refused = post_form(without, "/account", action="/account/tokens/", name="Sneaky")
    assert refused.status_code == 302 and refused.headers["Location"] == "/account/two-factor"
    assert db.session.execute(select(ApiToken)).scalars().all() == []

    browser, user = signed_in(app, db, "stale@example.org", Role.ORGANIZER)
    with browser.session_transaction() as session:
        session[TWO_FACTOR_AT] -= 901  # given a quarter of an hour ago: no longer fresh
    assert "asked for a two-factor code" in browser.get("/account/tokens/").get_data(as_text=True)
    stale = post_form(browser, "/account/tokens/", name="Later")
    assert stale.status_code == 302 and stale.headers["Location"].startswith("/account/two-factor/verify")
    assert db.session.execute(select(ApiToken)).scalars().all() == []

    verified = post_form(browser, stale.headers["Location"], code=code_at(user.totp_secret, 1))
    assert verified.status_code in (302, 303) and verified.headers["Location"].endswith("/account/tokens/")
    assert post_form(browser, "/account/tokens/", name="Now").status_code == 200
    assert db.session.execute(select(ApiToken.name)).scalars().all() == ["Now"]


def test_no_one_reaches_anothers_tokens(app, db):
    owner, _ = signed_in(app, db, "owner@example.org", Role.ORGANIZER)
    post_form(owner, "/account/tokens/", name="Mine")
    token = db.session.execute(select(ApiToken)).scalar_one()
    other, _ = signed_in(app, db, "other@example.org", Role.ORGANIZER)
    assert "Mine" not in other.get("/account/tokens/").get_data(as_text=True)
    answer = post_form(other, "/account/tokens/", action=f"/account/tokens/{token.id}/revoke")
    assert answer.status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None
    assert app.test_client().get("/account/tokens/").status_code == 302
