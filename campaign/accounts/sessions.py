"""Sessions kept on the server: the cookie names a row, signing out deletes it.

A session also records when its second factor was given (campaign/accounts/second_factor.py
asks for it).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, session
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete, select

from campaign import clock
from campaign.accounts.models import AccountSession, User
from campaign.api import tokens as api_tokens
from campaign.audit.service import record
from campaign.extensions import db


def _digest(secret: str) -> str:
    """The stored form of a session's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def load_session_user(secret: str) -> User | None:
    """The user of the session this secret names, if it has not ended or expired and the user is active."""
    if not secret or len(secret) > 100:
        return None
    found = db.session.execute(
        select(AccountSession, User)
        .join(User, AccountSession.user_id == User.id)
        .where(AccountSession.secret_hash == _digest(secret), AccountSession.expires_at > clock.now())
    ).first()
    if found is None or not found[1].is_active:
        return None
    g.account_session = found[0]
    return found[1]


def current_session() -> AccountSession | None:
    """The server's row of this request's session, once the signed-in user is loaded."""
    if not current_user.is_authenticated:
        return None
    row: AccountSession | None = g.get("account_session")
    return row


def begin_session(user: User, two_factor_verified: bool) -> None:
    """Sign the user in on a fresh session: nothing from before the sign-in carries over."""
    session.clear()
    now = clock.now()
    secret = secrets.token_urlsafe(32)
    row = AccountSession(
        user_id=user.id,
        secret_hash=_digest(secret),
        created_at=now,
        expires_at=now + timedelta(hours=current_app.config["ACCOUNT_SESSION_HOURS"]),
        two_factor_at=now if two_factor_verified else None,
    )
    db.session.add(row)
    db.session.execute(
        delete(AccountSession).where(AccountSession.user_id == user.id, AccountSession.expires_at <= now)
    )
    login_user(user)
    # Flask-Login keeps the user's id in the cookie; the session's own secret goes there
    # instead, so the cookie names a row the server can delete, not a user.
    session["_user_id"] = secret
    g.account_session = row
    user.last_login_at = now


def end_session() -> None:
    """Sign out: the server forgets the session, so a copy of the cookie opens nothing."""
    secret = session.get("_user_id")
    if isinstance(secret, str):
        db.session.execute(delete(AccountSession).where(AccountSession.secret_hash == _digest(secret)))
    logout_user()
    session.clear()


def end_every_session(user: User) -> None:
    """End every session of the user and any sign-in waiting for its second factor."""
    user.session_version += 1
    db.session.execute(delete(AccountSession).where(AccountSession.user_id == user.id))


def log_out_everywhere(user: User) -> None:
    """End every session of the user, on every device, and revoke their API tokens."""
    end_every_session(user)
    revoked = api_tokens.revoke_all(user, actor=f"user:{user.id}", reason="signed out everywhere")
    record(f"user:{user.id}", "account.signed_out_everywhere", f"user:{user.id}", tokens_revoked=revoked)


def mark_two_factor_verified() -> None:
    """Record on the server that the second factor was just given in this session."""
    row = current_session()
    if row is not None:
        row.two_factor_at = clock.now()


def is_two_factor_verified() -> bool:
    """Tell whether the second factor was given in this session."""
    row = current_session()
    return row is not None and row.two_factor_at is not None


def has_fresh_two_factor(max_age_seconds: int) -> bool:
    """Tell whether the signed-in user gave their second factor within the last max_age_seconds."""
    row = current_session()
    if row is None or row.two_factor_at is None or not current_user.has_two_factor:
        return False
    return clock.now() - row.two_factor_at <= timedelta(seconds=max_age_seconds)
