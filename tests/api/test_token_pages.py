"""The API tokens page: a signed-in user makes, sees and revokes their own tokens, and no one else's."""

import re

from sqlalchemy import select

from campaign.accounts.models import Role
from campaign.api.models import ApiToken
from tests.accounts.conftest import post_form
from tests.support.people import signed_in


def test_a_token_is_shown_once_listed_by_prefix_and_revoked(app, db):
    browser, _user = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, two_factor=False)
    made = post_form(browser, "/account/tokens/", name="Partner CRM sync")
    assert made.status_code == 200
    secret = re.search(r'<code class="secret">(osdi_[^<]+)</code>', made.get_data(as_text=True)).group(1)
    assert browser.get("/api/v1/", headers={"OSDI-API-Token": secret}).status_code == 200

    listed = browser.get("/account/tokens/").get_data(as_text=True)
    assert "Partner CRM sync" in listed and secret[:12] in listed and secret not in listed
    token = db.session.execute(select(ApiToken)).scalar_one()
    revoked = post_form(browser, "/account/tokens/", action=f"/account/tokens/{token.id}/revoke")
    assert revoked.status_code == 303
    assert browser.get("/api/v1/", headers={"OSDI-API-Token": secret}).status_code == 401


def test_no_one_reaches_anothers_tokens(app, db):
    owner, _ = signed_in(app, db, "owner@example.org", Role.ORGANIZER, two_factor=False)
    post_form(owner, "/account/tokens/", name="Mine")
    token = db.session.execute(select(ApiToken)).scalar_one()
    other, _ = signed_in(app, db, "other@example.org", Role.ORGANIZER, two_factor=False)
    assert "Mine" not in other.get("/account/tokens/").get_data(as_text=True)
    answer = post_form(other, "/account/tokens/", action=f"/account/tokens/{token.id}/revoke")
    assert answer.status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None
    assert app.test_client().get("/account/tokens/").status_code == 302
