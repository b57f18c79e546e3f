"""Creating, checking and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select, update

from campaign import clock
from campaign.accounts.models import User
from campaign.api.models import ApiToken
from campaign.extensions import db

PREFIX = "osdi_"


def _digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Make a token for the user; the secret is returned once and never stored."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:100] or "API token",
        token_hash=_digest(secret),
        prefix=secret[:12],
        created_at=clock.now(),
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def user_for_token(secret: str) -> User | None:
    """The active user a token belongs to, or None; notes its use at most once a minute."""
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
    return token.user


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
