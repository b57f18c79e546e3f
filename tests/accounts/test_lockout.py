"""Failed sign-ins back off per account and client: guessers wait, the owner elsewhere does not,
a sprayer gets no free tries, the owner hears of it once a day, and a forged hop buys nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pyotp
import pytest
from sqlalchemy import update

from campaign import clock
from campaign.accounts.models import LoginFailure
from tests.support.accounts import PASSWORD, code_at, log_in
from tests.support.forms import csrf_token, post_form
from tests.support.outbox import bodies, rows
from tests.support.sql import statements_of

WRONG = "not the password at all"


def client_at(app: Any, address: str) -> Any:
    """A browser calling from this address."""
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def time_passes(db: Any) -> None:
    """Every wait so far is over (as if the clock had moved on)."""
    db.session.execute(update(LoginFailure).values(blocked_until=clock.now() - timedelta(seconds=1)))
    db.session.commit()


@pytest.fixture
def backoff(app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set the back-off's numbers for one test."""

    def set_numbers(**numbers: int) -> None:
        for name, value in numbers.items():
            monkeypatch.setitem(app.config, f"LOGIN_{name}", value)

    return set_numbers


def test_a_guesser_waits_while_the_owner_signs_in_from_elsewhere(app, make_user, backoff):
    backoff(BACKOFF_FREE_FAILURES=3)
    secret = pyotp.random_base32()
    make_user("ani@example.org", totp_secret=secret)
    guesser = client_at(app, "203.0.113.9")
    for _ in range(4):
        assert log_in(guesser, "ani@example.org", WRONG).status_code == 401
    # From here even the right password waits, unread: the guesser learns nothing.
    held = log_in(guesser, "Ani@example.org", PASSWORD)
    assert held.status_code == 429
    assert held.headers["Retry-After"] == "1"
    assert "Attempts from elsewhere are not affected" in held.get_data(as_text=True)

    owner = client_at(app, "198.51.100.4")
    assert log_in(owner, "ani@example.org", PASSWORD).headers["Location"] == "/login/two-factor"
    assert post_form(owner, "/login/two-factor", code=code_at(secret)).status_code == 303
    assert owner.get("/account").status_code == 200


def test_an_unknown_account_backs_off_the_same_way(app, db, make_user, backoff):
    backoff(BACKOFF_FREE_FAILURES=2)
    make_user("ani@example.org")
    known, unknown = client_at(app, "203.0.113.9"), client_at(app, "203.0.113.10")
    answers = [
        (
            log_in(known, "ani@example.org", WRONG).status_code,
            log_in(unknown, "nobody@example.org", WRONG).status_code,
        )
        for _ in range(4)
    ]
    assert answers == [(401, 401), (401, 401), (401, 401), (429, 429)]


def test_a_failure_asks_the_database_the_same_for_a_known_and_an_unknown_address(app, db, make_user):
    make_user("ani@example.org")

    def fail(email: str) -> list[str]:
        browser = client_at(app, "203.0.113.9")
        form = {"csrf_token": csrf_token(browser.get("/login").get_data(as_text=True)), "email": email}
        return statements_of(app, lambda: browser.post("/login", data={**form, "password": WRONG}))

    known = fail("ani@example.org")
    unknown = fail("nobody@example.org")
    assert known == unknown and any("login_failures" in statement for statement in known)


def test_each_failure_beyond_the_free_ones_doubles_the_wait_up_to_the_ceiling(app, db, make_user, backoff):
    backoff(BACKOFF_FREE_FAILURES=1, BACKOFF_MAX_SECONDS=5)
    make_user("ani@example.org")
    guesser = client_at(app, "203.0.113.9")
    assert log_in(guesser, "ani@example.org", WRONG).status_code == 401  # the free one
    waits = []
    for _ in range(4):
        assert log_in(guesser, "ani@example.org", WRONG).status_code == 401
        waits.append(log_in(guesser, "ani@example.org", WRONG).headers["Retry-After"])
        time_passes(db)
    assert waits == ["1", "2", "4", "5"]


def test_the_right_password_starts_the_count_afresh(app, db, make_user, backoff):
    backoff(BACKOFF_FREE_FAILURES=2)
    make_user("ani@example.org")
    for _ in range(2):
        assert log_in(client_at(app, "203.0.113.9"), "ani@example.org", WRONG).status_code == 401
    assert log_in(client_at(app, "203.0.113.9"), "ani@example.org").status_code == 303
    # Two free failures again (not none left), then the wait.
    statuses = [log_in(client_at(app, "203.0.113.9"), "ani@example.org", WRONG).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_a_client_spraying_many_accounts_gets_no_free_tries(app, make_user, backoff):
    backoff(BACKOFF_FREE_FAILURES=5, BACKOFF_CLIENT_FAILURES=3)
    for name in ("ani", "sona", "aram", "lusine", "gor"):
        make_user(f"{name}@example.org")
    sprayer = client_at(app, "203.0.113.9")
    for name in ("ani", "sona", "aram"):
        assert log_in(sprayer, f"{name}@example.org", WRONG).status_code == 401
    assert log_in(sprayer, "lusine@example.org", WRONG).status_code == 401
    assert log_in(sprayer, "lusine@example.org", WRONG).status_code == 429
    # Someone behind that address who types their password right the first time gets in;
    # so does the account's owner anywhere else.
    assert log_in(sprayer, "gor@example.org").status_code == 303
    assert log_in(client_at(app, "198.51.100.4"), "lusine@example.org").status_code == 303


def test_the_owner_is_told_of_repeated_failures_once_a_day(app, db, make_user, backoff):
    backoff(BACKOFF_FREE_FAILURES=100, NOTICE_FAILURES=3)
    make_user("ani@example.org")
    for number in range(2):
        log_in(client_at(app, f"203.0.113.{number}"), "ani@example.org", WRONG)
    assert rows(db, "sign-in-failures") == []
    for number in range(2, 8):
        log_in(client_at(app, f"203.0.113.{number}"), "ani@example.org", WRONG)
        log_in(client_at(app, f"203.0.113.{number}"), "nobody@example.org", WRONG)
    [body] = bodies(db, "sign-in-failures")
    assert "Hello Ani" in body and "wrong password" in body
    assert "/password/forgot" in body
    [row] = rows(db, "sign-in-failures")
    assert row.ref_id is not None


def test_behind_a_proxy_a_forged_hop_buys_no_fresh_tries(app, db, make_user, backoff):
    from campaign import create_app

    backoff(BACKOFF_FREE_FAILURES=2)
    make_user("ani@example.org")
    deployed = create_app({"TESTING": True, "TRUSTED_PROXY_HOPS": 1, "LOGIN_BACKOFF_FREE_FAILURES": 2})
    browser = client_at(deployed, "10.0.0.2")  # every request arrives from the proxy

    def attempt(forwarded_for: str, password: str = WRONG) -> int:
        headers = {"X-Forwarded-For": forwarded_for}
        page = browser.get("/login", headers=headers)
        form = {"csrf_token": csrf_token(page.get_data(as_text=True)), "email": "ani@example.org"}
        return browser.post("/login", data={**form, "password": password}, headers=headers).status_code

    statuses = [attempt(f"192.0.2.{n}, 203.0.113.9") for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    # Another client behind the same proxy is a pair of its own.
    assert attempt("198.51.100.4", PASSWORD) == 303
