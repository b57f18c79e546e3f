"""Back-off after failed sign-ins, per (account, client) pair, and a notice to the account holder.

A fixed lock per account would let anyone lock its owner out by typing wrong
passwords, and a limit per address locks out everyone behind one. Instead
each pair of account and client waits longer after each failure beyond a few
(doubling, up to a ceiling): the owner, from their own client, is not
slowed by someone else's guesses. A client that has failed against many
accounts (spraying one password everywhere) gets no free failures on the
next. Counts are kept under keyed hashes: no address or email in clear.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

from flask import current_app, request
from sqlalchemy import delete, select, text

from campaign import clock
from campaign.accounts.models import LoginFailure, User
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.privacy import vault

# What a pair counts: the password step (keyed by the address typed) or the code step (by user).
CREDENTIALS_STEP = "sign-in"
CODE_STEP = "code"
NOTICE_KIND = "sign-in-failures"

_RESERVE = text("INSERT INTO login_failures (key, failures) VALUES (:key, 0) ON CONFLICT (key) DO NOTHING")
# One statement, so two failures at once both count (SQLite and PostgreSQL both speak it).
_COUNT = text("""
INSERT INTO login_failures (key, failures, last_failed_at) VALUES (:key, 1, :now)
ON CONFLICT (key) DO UPDATE SET
  failures = CASE WHEN login_failures.last_failed_at IS NULL OR login_failures.last_failed_at < :since
                  THEN 1 ELSE login_failures.failures + 1 END,
  last_failed_at = :now
RETURNING failures
""")


def client_address() -> str:
    """The client as the app sees it: the peer, or the hop ProxyFix was told to trust."""
    return request.remote_addr or ""


def _pair_key(scope: str, account: str) -> str:
    """The keyed hash of this account (as typed, or a user id) and this client."""
    return vault.blind_index(f"{scope}\n{account}\n{client_address()}", purpose="login-pair")


def _client_key() -> str:
    """The keyed hash of this client, across all accounts."""
    return vault.blind_index(client_address(), purpose="login-client")


def _account_key(email: str) -> str:
    """The keyed hash of an account's address, across all clients (counted whether or not an
    account has it, so a failure costs the same work for a known and an unknown address)."""
    return vault.blind_index(email, purpose="login-account")


def _window() -> timedelta:
    """How long failures are remembered after the last one."""
    return timedelta(hours=current_app.config["LOGIN_FAILURE_WINDOW_HOURS"])


def wait_seconds(scope: str, account: str) -> int:
    """Seconds this client must wait before trying this account again (0: it may try now).

    The pair's row is locked until the request commits, so attempts sent at once
    from one client are looked at one after the other, each seeing the failures
    before it: a burst of parallel guesses gets no more tries than a sequence.
    """
    key = _pair_key(scope, account)
    db.session.execute(_RESERVE, {"key": key})
    locked = select(LoginFailure).where(LoginFailure.key == key).with_for_update()
    row = db.session.execute(locked).scalar_one()
    now = clock.now()
    if row.blocked_until is None or row.blocked_until <= now:
        return 0
    return max(1, math.ceil((row.blocked_until - now).total_seconds()))


def record_failure(scope: str, account: str, email: str, user: User | None) -> None:
    """Count a failure for the pair, the client and the address `email` (canonical); back off;
    tell the account's owner, if there is one, once a day."""
    now = clock.now()
    since = now - _window()
    config = current_app.config
    client_failures = _count(_client_key(), now, since)
    # A client that failed against many accounts is spraying: its pairs get no free tries.
    is_spraying = client_failures >= config["LOGIN_BACKOFF_CLIENT_FAILURES"]
    free = 0 if is_spraying else config["LOGIN_BACKOFF_FREE_FAILURES"]
    row = db.session.execute(
        select(LoginFailure).where(LoginFailure.key == _pair_key(scope, account)).with_for_update()
    ).scalar_one_or_none()
    if row is not None:
        if row.last_failed_at is None or row.last_failed_at < since:
            row.failures = 0
        row.failures += 1
        row.last_failed_at = now
        beyond = row.failures - free
        if beyond > 0:
            seconds = min(2 ** min(beyond - 1, 30), config["LOGIN_BACKOFF_MAX_SECONDS"])
            row.blocked_until = now + timedelta(seconds=seconds)
    account_failures = _count(_account_key(email), now, since)
    threshold = config["LOGIN_NOTICE_FAILURES"]
    # At the threshold and every as many failures after (the day's key keeps it to one a day).
    if user is not None and account_failures >= threshold and (account_failures - threshold) % threshold == 0:
        owe_notice(user, now.date())


def forget(scope: str, account: str) -> None:
    """The right password or code: the pair starts afresh; rows idle for a whole window go."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == _pair_key(scope, account)))
    stale = select(LoginFailure.key).where(LoginFailure.last_failed_at < clock.now() - _window()).limit(100)
    db.session.execute(delete(LoginFailure).where(LoginFailure.key.in_(stale)))


def owe_notice(user: User, day: date) -> None:
    """Owe the account holder a note about failed sign-ins: at most one a day (the key says so),
    within the bound on all mail to their address."""
    mail.owe(
        kind=NOTICE_KIND,
        dedupe_key=f"sign-in-failures:{user.id}:{day.isoformat()}",
        ref_id=user.id,
        recipient_index=mail.recipient_index(user.email),
    )


def _count(key: str, now: datetime, since: datetime) -> int:
    """Add one failure under the key (starting again after a quiet window) and return the count."""
    return int(db.session.execute(_COUNT, {"key": key, "now": now, "since": since}).scalar_one())
