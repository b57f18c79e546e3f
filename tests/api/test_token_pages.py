"""The API tokens page: a signed-in user makes (after a fresh second factor), sees and revokes
their own tokens, and no one else's; each token shows when it expires. And the API's borders:
wrong tokens throttled per client address, every error in JSON, nothing stored."""

import json
import re
import secrets
from datetime import timedelta

from babel.dates import format_date
from sqlalchemy import select

from campaign import clock
from campaign.accounts.models import Role
from campaign.api.models import ApiToken
from campaign.audit.models import AuditEvent
from tests.support.accounts import age_second_factor, code_at
from tests.support.forms import post_form
from tests.support.people import signed_in


def test_a_token_is_shown_once_with_its_expiry_listed_by_prefix_and_revoked(app, db):
    browser, user = signed_in(app, db, "organizer@example.org", Role.ORGANIZER)
    made = post_form(browser, "/account/tokens/", name="Partner CRM sync")
    assert made.status_code == 200
    page = made.get_data(as_text=True)
    secret = re.search(r'<code class="secret">(osdi_[^<]+)</code>', page).group(1)
    expires_on = clock.now() + timedelta(days=90)
    assert "It works until <time" in page and expires_on.strftime("%Y-%m-%d") in page
    # The list says it in the reader's language ("March 4, 2027" in English).
    expires = format_date(expires_on, "long", locale="en")
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
    age_second_factor(db, "stale@example.org", 901)  # given a quarter of an hour ago: no longer fresh
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


def test_wrong_tokens_are_throttled_per_address_while_a_right_token_still_works(
    app, db, api_user, monkeypatch
):
    monkeypatch.setitem(app.config, "API_BAD_TOKEN_RATE_LIMIT", "3 per 10 minutes")
    _, headers = api_user("script@example.org")
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    # Each guess a new token: still one bucket, the address's.
    guesses = [
        guesser.get("/api/v1/", headers={"OSDI-API-Token": f"osdi_{secrets.token_urlsafe(32)}"})
        for _ in range(4)
    ]
    assert [answer.status_code for answer in guesses] == [401, 401, 401, 429]
    refused = guesses[-1]
    assert refused.is_json and "wrong token" in refused.get_json()["error"]
    assert int(refused.headers["Retry-After"]) > 0
    assert guesser.get("/api/v1/", headers={"OSDI-API-Token": "none at all"}).status_code == 429
    # A script with a good token at the same address, and anyone elsewhere, are not held.
    assert guesser.get("/api/v1/", headers=headers).status_code == 200
    assert app.test_client().get("/api/v1/", headers={"OSDI-API-Token": "osdi_wrong"}).status_code == 401


def test_api_errors_answer_in_json_and_a_failure_writes_nothing(app, db, api_user):
    from campaign import create_app
    from campaign.audit.service import record
    from campaign.extensions import db as database

    _, headers = api_user("script@example.org")
    client = app.test_client()
    for path, method in (
        ("/api/v1/nothing-here", "GET"),
        ("/api/v1/", "DELETE"),
        ("/api/v1/petitions/x", "GET"),
    ):
        answer = client.open(path, method=method, headers=headers)
        assert answer.status_code in (404, 405) and answer.is_json, (path, answer.status_code)
        assert "error" in answer.get_json() and answer.headers["Cache-Control"] == "no-store"

    # An unexpected failure inside an API view, after it began to write.
    failing = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False})

    def half_done():
        record("user:0", "test.half_written", "nothing")
        database.session.flush()
        raise RuntimeError("a bug")

    failing.add_url_rule("/api/v1/half-done", endpoint="api.half_done", view_func=half_done)
    answer = failing.test_client().get("/api/v1/half-done", headers=headers)
    assert answer.status_code == 500 and answer.is_json
    assert answer.headers["Cache-Control"] == "no-store"
    assert "bug" not in answer.get_data(as_text=True) and "Traceback" not in answer.get_data(as_text=True)
    assert json.loads(answer.get_data(as_text=True))["error"]
    assert (
        db.session.execute(select(AuditEvent).where(AuditEvent.action == "test.half_written")).first() is None
    )
