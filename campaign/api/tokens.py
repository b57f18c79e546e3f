"""Creating, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from campaign import clock
from campaign.accounts.models import User
from campaign.api.models import ApiToken
from campaign.audit.service import record
from campaign.extensions import db

PREFIX = "osdi_"


def _digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str, *, actor: str) -> tuple[ApiToken, str]:
    """Make a token for the user, valid API_TOKEN_DAYS, and audit it; the secret is returned once."""
    secret = PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:100] or "API token",
        token_hash=_digest(secret),
        prefix=secret[:12],
        created_at=now,
        expires_at=now + timedelta(days=current_app.config["API_TOKEN_DAYS"]),
    )
    db.session.add(token)
    db.session.flush()
    # A token is a key to supporters' data: who made one, for whom, is on record.
    record(
        actor,
        "api_token.created",
        f"user:{user.id}",
        token_id=token.id,
        expires_at=token.expires_at.isoformat(timespec="seconds"),
    )
    return token, secret


def active_token(secret: str) -> ApiToken | None:
    """The token with this secret if it is neither revoked nor expired and its user is active;
    notes its use at most once a minute."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == _digest(secret))
    ).scalar_one_or_none()
    if token is None or not token.is_active:
        return None
    now = clock.now()
    if token.last_used_at is None or token.last_used_at < now - timedelta(minutes=1):
        token.last_used_at = now
        db.session.commit()
    return token


def tokens_of(user: User) -> Sequence[ApiToken]:
    """The user's tokens, newest first."""
    return (
        db.session.execute(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
        .scalars()
        .all()
    )


def revoke(user: User, token_id: int) -> bool:
    """Revoke one of the user's own tokens; tell whether it was theirs and active."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def revoke_all(user: User, *, actor: str, reason: str) -> int:
    """Revoke every active token of the user (signed out everywhere, a reset, disabled); audited if any."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    revoked = int(getattr(result, "rowcount", 0) or 0)
    if revoked:
        record(actor, "api_token.revoked_all", f"user:{user.id}", tokens=revoked, reason=reason)
    return revoked
