"""Two-factor: enrolment with a QR code, codes that work once, recovery codes, staff made to enrol."""

from __future__ import annotations

import base64
import re

import pyotp
from sqlalchemy import select

from campaign.accounts.models import RecoveryCode, Role, User
from tests.support.accounts import PASSWORD, age_second_factor, code_at, log_in
from tests.support.forms import csrf_token, post_form


def enrol(client) -> tuple[str, list[str]]:
    """Go through the enrolment page with a real authenticator; return the secret and recovery codes."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', page).group(1)
    answer = client.post(
        "/account/two-factor", data={"csrf_token": csrf_token(page), "code": pyotp.TOTP(secret).now()}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    codes = re.findall(
        r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>", answer.get_data(as_text=True)
    )
    return secret, codes


def second_step(client, code: str):
    """Submit the second step of signing in."""
    return post_form(client, "/login/two-factor", code=code)


def user_row(db, email: str) -> User:
    """The user as the database has it now."""
    db.session.expire_all()
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def test_the_enrolment_page_shows_a_qr_code_and_the_secret(client, make_user):
    make_user("ani@example.org")
    log_in(client, "ani@example.org")
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    data_uri = re.search(r'<img class="qr-code" src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    svg = base64.b64decode(data_uri).decode()
    assert "<svg" in svg and "<path" in svg
    secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', html).group(1)
    assert len(secret) == 32
    # No inline script or style for the CSP to refuse.
    assert "<script" not in html and "style=" not in html


def test_an_organizer_enrols_and_then_signs_in_with_a_code(db, app, client, make_user):
    make_user("ani@example.org")
    log_in(client, "ani@example.org")
    secret, codes = enrol(client)

    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.session.execute(select(RecoveryCode.code_hash)).scalars().all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert user_row(db, "ani@example.org").has_two_factor

    browser = app.test_client()
    first = log_in(browser, "ani@example.org")
    assert first.status_code == 303 and first.headers["Location"] == "/login/two-factor"
    # The password alone does not sign in.
    assert browser.get("/account").status_code == 302
    done = second_step(browser, code_at(secret, +1))
    assert done.status_code == 303 and done.headers["Location"] == "/account"
    assert browser.get("/account").status_code == 200


def test_a_wrong_code_at_enrolment_changes_nothing(db, client, make_user):
    make_user("ani@example.org")
    log_in(client, "ani@example.org")
    page = client.get("/account/two-factor").get_data(as_text=True)
    answer = client.post("/account/two-factor", data={"csrf_token": csrf_token(page), "code": "000000"})
    assert answer.status_code == 400
    assert "That code did not work" in answer.get_data(as_text=True)
    assert not user_row(db, "ani@example.org").has_two_factor


def test_a_code_cannot_be_used_twice(app, make_user):
    secret = pyotp.random_base32()
    make_user("ani@example.org", totp_secret=secret)
    code = code_at(secret)

    first = app.test_client()
    log_in(first, "ani@example.org")
    assert second_step(first, code).status_code == 303

    replay = app.test_client()
    log_in(replay, "ani@example.org")
    refused = second_step(replay, code)
    assert refused.status_code == 401
    assert "each works only once" in refused.get_data(as_text=True)
    assert replay.get("/account").status_code == 302
    # An earlier code than the one spent is refused as well.
    assert second_step(replay, code_at(secret, -1)).status_code == 401
    # The next code works.
    assert second_step(replay, code_at(secret, +1)).status_code == 303


def test_a_code_from_long_ago_is_refused(app, make_user):
    secret = pyotp.random_base32()
    make_user("ani@example.org", totp_secret=secret)
    browser = app.test_client()
    log_in(browser, "ani@example.org")
    assert second_step(browser, code_at(secret, -10)).status_code == 401


def test_a_recovery_code_works_once(db, app, client, make_user):
    make_user("ani@example.org")
    log_in(client, "ani@example.org")
    _secret, codes = enrol(client)

    browser = app.test_client()
    log_in(browser, "ani@example.org")
    assert second_step(browser, codes[3].upper()).status_code == 303
    assert db.session.execute(select(RecoveryCode).where(RecoveryCode.used_at.is_not(None))).scalar_one()

    again = app.test_client()
    log_in(again, "ani@example.org")
    assert second_step(again, codes[3]).status_code == 401
    assert second_step(again, codes[4]).status_code == 303


def test_staff_must_enrol_before_reaching_anything(db, client, make_user, make_campaign):
    make_user("staff@example.org", role=Role.STAFF)
    make_campaign(slug="recognize")
    answer = log_in(client, "staff@example.org")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/account/two-factor"
    for path in ("/", "/account", "/organizations", "/campaigns/recognize"):
        blocked = client.get(path)
        assert blocked.status_code == 302, path
        assert blocked.headers["Location"] == f"/account/two-factor?next={path}"  # and back, once enrolled

    enrol(client)

    assert client.get("/").status_code == 200
    assert client.get("/account").status_code == 200


def test_staff_with_two_factor_give_their_code_at_sign_in(app, make_user):
    secret = pyotp.random_base32()
    make_user("admin@example.org", role=Role.ADMIN, totp_secret=secret)
    browser = app.test_client()
    assert log_in(browser, "admin@example.org").headers["Location"] == "/login/two-factor"
    assert browser.get("/").status_code == 200  # not signed in yet: a visitor like any other
    assert second_step(browser, code_at(secret)).status_code == 303
    assert browser.get("/account").status_code == 200


def test_staff_cannot_turn_two_factor_off(db, client, make_user):
    secret = pyotp.random_base32()
    make_user("staff@example.org", role=Role.STAFF, totp_secret=secret)
    log_in(client, "staff@example.org")
    second_step(client, code_at(secret))
    answer = post_form(client, "/account", action="/account/two-factor/disable", code=code_at(secret, 1))
    assert answer.status_code == 403
    assert user_row(db, "staff@example.org").has_two_factor


def test_an_organizer_may_turn_two_factor_off_with_a_code(db, client, make_user):
    secret = pyotp.random_base32()
    make_user("ani@example.org", totp_secret=secret)
    log_in(client, "ani@example.org")
    second_step(client, code_at(secret))
    assert (
        post_form(client, "/account", action="/account/two-factor/disable", code="123456").status_code == 401
    )
    assert (
        post_form(
            client, "/account", action="/account/two-factor/disable", code=code_at(secret, 1)
        ).status_code
        == 303
    )
    assert not user_row(db, "ani@example.org").has_two_factor
    assert log_in(client.application.test_client(), "ani@example.org").headers["Location"] == "/account"


def test_new_recovery_codes_need_a_fresh_second_factor(db, client, make_user):
    secret = pyotp.random_base32()
    make_user("ani@example.org", totp_secret=secret)
    log_in(client, "ani@example.org")
    second_step(client, code_at(secret))

    fresh = post_form(client, "/account", action="/account/two-factor/recovery-codes")
    assert fresh.status_code == 200
    assert fresh.get_data(as_text=True).count("<code>") == 10

    age_second_factor(db, "ani@example.org", 3600)
    stale = post_form(client, "/account", action="/account/two-factor/recovery-codes")
    assert stale.status_code == 302
    # After the code, back to the page whose form asked (a redirect cannot repeat the POST).
    assert stale.headers["Location"] == "/account/two-factor/verify?next=/account"

    verified = post_form(client, "/account/two-factor/verify", code=code_at(secret, 1))
    assert verified.status_code == 303
    assert post_form(client, "/account", action="/account/two-factor/recovery-codes").status_code == 200


def test_wrong_codes_back_off_for_this_client_only(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_BACKOFF_FREE_FAILURES", 3)
    secret = pyotp.random_base32()
    make_user("ani@example.org", totp_secret=secret)
    browser = app.test_client()
    log_in(browser, "ani@example.org")
    for _ in range(4):
        assert second_step(browser, "000000").status_code == 401
    # Even the right code waits now, from here: a guesser cannot tell it was right.
    waiting = second_step(browser, code_at(secret))
    assert waiting.status_code == 429 and waiting.headers["Retry-After"] == "1"
    # The owner, on their own phone, with password and code, is not held by it.
    phone = app.test_client()
    phone.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    log_in(phone, "ani@example.org")
    assert second_step(phone, code_at(secret, 1)).status_code == 303
    assert phone.get("/account").status_code == 200


def test_the_second_step_expires(app, make_user):
    secret = pyotp.random_base32()
    make_user("ani@example.org", totp_secret=secret)
    browser = app.test_client()
    log_in(browser, "ani@example.org", PASSWORD)
    with browser.session_transaction() as session:
        pending = session["pending_login"]
        session["pending_login"] = {**pending, "at": pending["at"] - 3600}
    assert second_step_without_page(browser, code_at(secret)).headers["Location"] == "/login"


def second_step_without_page(client, code: str):
    """Post the second step with a token taken from the login page."""
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post("/login/two-factor", data={"csrf_token": token, "code": code})
