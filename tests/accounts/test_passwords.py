"""Password reset by email: the link arrives, works once, and ends the old sessions."""

from __future__ import annotations

import re

from tests.support.accounts import PASSWORD, log_in
from tests.support.forms import csrf_token, post_form
from tests.support.outbox import rows
from tests.support.sql import statements_of

NEW_PASSWORD = "amber orchard compass 77"


def reset_path(message) -> str:
    """The path of the reset link in an email."""
    return re.search(r"http://localhost(/password/reset/\S+)", message.get_content()).group(1)


def test_a_password_is_reset_from_the_emailed_link(app, client, make_user, mailbox, celery_worker):
    make_user("lusine@example.org")
    old_session = app.test_client()
    log_in(old_session, "lusine@example.org")

    asked = post_form(client, "/password/forgot", email="Lusine@example.org")
    assert asked.status_code == 200
    assert "Check your inbox" in asked.get_data(as_text=True)
    [message] = mailbox.wait_for("lusine@example.org")
    assert message["Subject"] == "Choose a new password"
    path = reset_path(message)

    form = client.get(path)
    assert form.status_code == 200
    assert form.headers["Cache-Control"] == "no-store"
    token = csrf_token(form.get_data(as_text=True))
    done = client.post(path, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 200
    assert "Your password is changed" in done.get_data(as_text=True)

    assert log_in(app.test_client(), "lusine@example.org", PASSWORD).status_code == 401
    assert log_in(app.test_client(), "lusine@example.org", NEW_PASSWORD).status_code == 303
    # The sessions from before the reset are over.
    assert old_session.get("/account").status_code == 302
    # The link worked once.
    assert client.get(path).status_code == 400
    again = client.post(path, data={"csrf_token": token, "password": "x" * 20, "confirm": "x" * 20})
    assert again.status_code == 400


def test_an_unknown_address_gets_the_same_answer_and_no_email(db, client, make_user, mailbox, celery_worker):
    make_user("ani@example.org")
    unknown = post_form(client, "/password/forgot", email="nobody@example.org")
    known = post_form(client, "/password/forgot", email="ani@example.org")
    assert unknown.status_code == known.status_code == 200
    assert "Check your inbox" in unknown.get_data(as_text=True)
    # A row is owed either way (the same work, so the same time); only ani's is ever written.
    assert len(rows(db, "password-reset")) == 2
    [message] = mailbox.wait_for("ani@example.org")
    assert "ani@example.org" in message["To"]
    assert len(mailbox.messages) == 1 and mailbox.to("nobody@example.org") == []


def test_a_reset_asks_the_database_the_same_for_a_known_and_an_unknown_address(app, db, make_user):
    make_user("ani@example.org")

    def ask(email: str) -> list[str]:
        browser = app.test_client()
        form = {
            "csrf_token": csrf_token(browser.get("/password/forgot").get_data(as_text=True)),
            "email": email,
        }
        return statements_of(app, lambda: browser.post("/password/forgot", data=form))

    known = ask("ani@example.org")
    unknown = ask("nobody@example.org")
    assert known == unknown and any("INSERT INTO outbox" in statement for statement in known)


def test_a_reset_ends_the_old_sessions_and_revokes_api_tokens(app, db, client, make_user):
    from sqlalchemy import select

    from campaign.accounts.password_reset import password_reset_token
    from campaign.api.models import ApiToken
    from campaign.api.tokens import create_token

    user = make_user("ani@example.org")
    _, secret = create_token(user, "script", actor="cli:root")
    db.session.commit()
    assert client.get("/api/v1/", headers={"OSDI-API-Token": secret}).status_code == 200

    path = f"/password/reset/{password_reset_token(user)}"
    assert post_form(client, path, password=NEW_PASSWORD, confirm=NEW_PASSWORD).status_code == 200

    assert client.get("/api/v1/", headers={"OSDI-API-Token": secret}).status_code == 401
    db.session.expire_all()
    assert db.session.execute(select(ApiToken.revoked_at)).scalar_one() is not None


def test_a_weak_new_password_is_refused(db, app, client, make_user, mailbox, celery_worker):
    make_user("ani@example.org")
    post_form(client, "/password/forgot", email="ani@example.org")
    [email] = mailbox.wait_for("ani@example.org")
    path = reset_path(email)
    for weak, message in (
        ("short", "at least 12 characters"),
        ("passwordpassword", "too easy to guess"),
        ("ani@example.org-2026", "does not contain your email"),
    ):
        answer = post_form(client, path, password=weak, confirm=weak)
        assert answer.status_code == 400
        assert message in answer.get_data(as_text=True)
    mismatch = post_form(client, path, password=NEW_PASSWORD, confirm=NEW_PASSWORD + "!")
    assert mismatch.status_code == 400
    assert "The passwords differ." in mismatch.get_data(as_text=True)
    assert log_in(app.test_client(), "ani@example.org").status_code == 303


def test_a_forged_link_is_refused(client):
    assert client.get("/password/reset/not-a-token").status_code == 400
