"""Signing in and out: credentials, the `next` redirect, revoked sessions (back-off: test_lockout)."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import pytest
from flask_login import login_user
from werkzeug.exceptions import Forbidden

from campaign.accounts import passwords, staff_accounts
from campaign.accounts.access import role_required
from campaign.accounts.models import Role
from tests.support.accounts import PASSWORD, log_in
from tests.support.forms import csrf_token, post_form


def without_tokens(html: str) -> str:
    """The page with its CSRF tokens blanked, to compare two answers."""
    return re.sub(r'value="[^"]*"', 'value=""', html)


def test_an_organizer_signs_in_and_out(client, make_user):
    make_user("ani@example.org")
    assert client.get("/account").status_code == 302

    answer = log_in(client, "ANI@example.org")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/account"
    page = client.get("/account")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ani@example.org" in html and "Sign out" in html

    out = client.post("/logout", data={"csrf_token": csrf_token(html)})
    assert out.status_code == 303
    assert client.get("/account").status_code == 302


def test_signing_out_needs_a_post_with_its_token(client, make_user):
    make_user("ani@example.org")
    log_in(client, "ani@example.org")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(client, make_user, monkeypatch):
    make_user("ani@example.org")
    verifications = []
    real_verify = passwords.verify_password
    monkeypatch.setattr(
        passwords, "verify_password", lambda *args: verifications.append(1) or real_verify(*args)
    )

    wrong = log_in(client, "ani@example.org", "not the right password")
    unknown = log_in(client, "nobody@example.org", "not the right password")

    assert wrong.status_code == unknown.status_code == 401
    assert "The email address or the password is not right." in wrong.get_data(as_text=True)
    assert without_tokens(wrong.get_data(as_text=True)).replace("ani@", "X@") == without_tokens(
        unknown.get_data(as_text=True)
    ).replace("nobody@", "X@")
    # The unknown account costs an argon2 verification too, so timing tells nothing.
    assert len(verifications) == 2
    assert client.get("/account").status_code == 302


def test_an_empty_form_is_refused_with_a_message(client):
    answer = post_form(client, "/login", email="", password="")
    assert answer.status_code == 400
    assert "Please enter your email address." in answer.get_data(as_text=True)


def test_login_required_sends_visitors_to_the_login_page_and_back(client, make_user):
    make_user("ani@example.org")
    answer = client.get("/organizations?x=1")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=/organizations?x%3D1"
    signed_in = log_in(client, "ani@example.org", next_path="/organizations?x=1")
    assert signed_in.headers["Location"] == "/organizations?x=1"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example",
        "http://evil.example/login",
        "javascript:alert(1)",
        "/\t/evil.example",
        "///evil.example",
        "evil.example",
    ],
)
def test_next_never_leads_off_the_site(client, make_user, target):
    make_user("ani@example.org")
    answer = log_in(client, "ani@example.org", next_path=target)
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location == "/account"
    assert urlsplit(location).netloc == ""


def test_next_on_the_site_is_honoured(client, make_user):
    make_user("ani@example.org")
    answer = log_in(client, "ani@example.org", next_path="/some/path?x=1")
    assert answer.headers["Location"] == "/some/path?x=1"


def test_disabling_a_user_ends_their_session_at_once(db, client, make_user):
    user = make_user("ani@example.org")
    log_in(client, "ani@example.org")
    assert client.get("/account").status_code == 200

    staff_accounts.disable_user(user, actor="cli:root")
    db.session.commit()

    assert client.get("/account").status_code == 302
    assert log_in(client, "ani@example.org").status_code == 401


def test_signing_out_everywhere_ends_every_session(app, client, make_user):
    make_user("ani@example.org")
    phone = app.test_client()
    log_in(client, "ani@example.org")
    log_in(phone, "ani@example.org")
    assert phone.get("/account").status_code == 200

    answer = post_form(client, "/account", action="/account/sessions/end")
    assert answer.status_code == 303

    assert client.get("/account").status_code == 302
    assert phone.get("/account").status_code == 302
    # Signing in again works, and starts a session that holds.
    log_in(phone, "ani@example.org")
    assert phone.get("/account").status_code == 200


def test_an_old_session_cookie_cannot_be_replayed_after_sign_out_everywhere(app, client, make_user):
    make_user("ani@example.org")
    log_in(client, "ani@example.org")
    stolen = client.get_cookie("session").value
    post_form(client, "/account", action="/account/sessions/end")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/account").status_code == 302


def test_role_required_lets_only_those_roles_through(app, make_user):
    organizer = make_user("ani@example.org")
    staff = make_user("staff@example.org", role=Role.STAFF)

    @role_required("staff", "admin")
    def moderation_queue() -> str:
        return "queue"

    with app.test_request_context("/moderation"):
        assert moderation_queue().status_code == 302
    with app.test_request_context("/moderation"):
        login_user(organizer)
        with pytest.raises(Forbidden):
            moderation_queue()
    with app.test_request_context("/moderation"):
        login_user(staff)
        assert moderation_queue() == "queue"


def test_public_pages_do_not_touch_a_visitors_session(client, make_campaign):
    make_campaign(slug="recognize")
    page = client.get("/")
    assert "Set-Cookie" not in page.headers
    assert 'href="/account"' in page.get_data(as_text=True)


def test_passwords_are_hashed_with_argon2id(db, make_user):
    user = make_user("ani@example.org")
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in user.password_hash


def test_rate_limits_are_kept_in_redis_under_this_runs_prefix(client, make_user, redis_client):
    post_form(client, "/password/forgot", email="nobody@example.org")
    prefix = os.environ.get("REDIS_KEY_PREFIX") or os.environ["CELERY_KEY_PREFIX"]
    assert list(redis_client.scan_iter(match=f"{prefix}LIMITS*"))


def test_a_signed_in_organizer_is_never_shown_to_other_visitors(app, client, make_user, make_campaign):
    make_campaign(slug="recognize")
    make_user("ani@example.org")
    log_in(client, "ani@example.org")
    assert client.get("/campaigns/recognize").status_code == 200
    assert client.get("/").status_code == 200
    visitor = app.test_client()
    for path in ("/campaigns/recognize", "/"):
        html = visitor.get(path).get_data(as_text=True)
        assert "Ani" not in html and "ani@example.org" not in html


def test_the_account_page_leads_to_the_work_each_role_may_do(app, make_user):

    make_user("organizer@example.org")
    organizer = app.test_client()
    log_in(organizer, "organizer@example.org")
    page = organizer.get("/account").get_data(as_text=True)
    assert 'href="/organize/"' in page and 'href="/staff/exports/"' in page
    assert "/staff/moderation/" not in page
    for link in ("/organize/", "/organize/overview", "/staff/exports/", "/account/tokens/"):
        assert organizer.get(link).status_code == 200, link
