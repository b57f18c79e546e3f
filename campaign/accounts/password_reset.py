"""Password resets: a signed, expiring link that dies once the password changes."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from campaign.accounts import passwords
from campaign.accounts.models import User
from campaign.accounts.service import WeakPassword, canonical_email, user_by_email
from campaign.accounts.sessions import end_every_session
from campaign.api import tokens as api_tokens
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.privacy import vault

# The kind of mail that carries the link, written by the worker (campaign/accounts/messages.py).
RESET_KIND = "password-reset"
# The reference of a reset owed for an address no active account has: the row is written
# like any other, so the answer takes the same time, and its composer sends nothing.
NOBODY = 0

_RESET_SALT = "password-reset"


def _reset_serializer() -> URLSafeTimedSerializer:
    """The serializer of password reset tokens."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def _password_fingerprint(user: User) -> str:
    """A digest of the current password hash: a new password changes it, killing old links."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def password_reset_token(user: User) -> str:
    """A token for the link that lets the user choose a new password."""
    return _reset_serializer().dumps({"user": user.id, "password": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """The user a reset token is for, if it is genuine, recent and not used yet."""
    try:
        payload: Any = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("user"), int):
        return None
    user = db.session.get(User, payload["user"])
    if user is None or not user.is_active:
        return None
    if not hmac.compare_digest(str(payload.get("password", "")), _password_fingerprint(user)):
        return None
    return user


def request_password_reset(email: str) -> None:
    """Owe a reset link to the account with this address; for an address no active account has,
    owe a row that is never sent. The same work either way, so the time tells nothing."""
    canonical = canonical_email(email)[:320]
    user = user_by_email(canonical)
    ref_id = user.id if user is not None and user.is_active else NOBODY
    # At most one email per quarter of an hour: the form must not become a way to flood an inbox.
    bucket = int(time.time()) // 900
    key = vault.blind_index(canonical, purpose="password-reset")
    # Bounded like all mail anyone can ask for (campaign.mail); a row that is never sent
    # counts against an index of its own, not against the address, with the same work.
    address_index = mail.recipient_index(canonical)  # worked out either way: the same time
    index = address_index if ref_id != NOBODY else key
    dedupe_key = f"password-reset:{key}:{bucket}"
    mail.owe(kind=RESET_KIND, dedupe_key=dedupe_key, ref_id=ref_id, recipient_index=index)


def set_password(user: User, password: str) -> None:
    """Change the password and end every session the user had."""
    problem = passwords.weakness(password, user.email)
    if problem:
        raise WeakPassword(problem)
    user.password_hash = passwords.hash_password(password)
    end_every_session(user)


def reset_password(user: User, password: str) -> None:
    """Set the password chosen from an emailed link; sessions end and API tokens are revoked,
    since a reset is what someone does who fears their account was taken."""
    set_password(user, password)
    api_tokens.revoke_all(user, actor=f"user:{user.id}", reason="password reset")
