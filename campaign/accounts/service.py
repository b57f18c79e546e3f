"""Accounts: creating and disabling users, signing in and out, two-factor sessions, password resets."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app, session
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from campaign import clock
from campaign.accounts import passwords, two_factor
from campaign.accounts.models import Role, User
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import service as mail

# What the session remembers besides Flask-Login's own keys.
TWO_FACTOR_AT = "two_factor_at"
PENDING_LOGIN = "pending_login"
TOTP_SETUP = "totp_setup_secret"

_RESET_SALT = "password-reset"


class AccountError(Exception):
    """A request about accounts that cannot be granted; the message is for people."""


class WeakPassword(AccountError):
    """The new password does not meet the rules."""


class DuplicateEmail(AccountError):
    """Another account has this email address."""


class InvalidEmail(AccountError):
    """The email address is not one we can write to."""


def canonical_email(email: str) -> str:
    """The form of an address used for uniqueness and look-ups: trimmed and lower-cased."""
    return email.strip().lower()


def normalized_email(email: str) -> str:
    """Check an address's syntax and return its normalized form."""
    try:
        checked = validate_email(
            email.strip(), check_deliverability=current_app.config["EMAIL_CHECK_DELIVERABILITY"]
        )
    except EmailNotValidError as error:
        raise InvalidEmail(f"Please check the email address: {error}") from None
    return checked.normalized


def user_by_email(email: str) -> User | None:
    """The user with this address, whatever its case."""
    return db.session.execute(
        select(User).where(User.canonical_email == canonical_email(email))
    ).scalar_one_or_none()


def create_user(email: str, password: str, role: Role, display_name: str = "") -> User:
    """Add a user; refuse a weak password or an address already taken."""
    address = normalized_email(email)
    problem = passwords.weakness(password, address)
    if problem:
        raise WeakPassword(problem)
    user = User(
        email=address,
        canonical_email=canonical_email(address),
        display_name=(display_name.strip() or address.partition("@")[0])[:100],
        password_hash=passwords.hash_password(password),
        role=role,
        is_active=True,
        session_version=1,
    )
    # The unique constraint decides, even between two requests at once; a
    # savepoint keeps the rest of the transaction usable when it refuses.
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        raise DuplicateEmail("An account with this email address exists already.") from None
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this address and password; None otherwise, taking the same time either way."""
    user = user_by_email(email) if len(email) <= 320 else None
    if user is None:
        passwords.verify_nothing(password)
        return None
    if not passwords.verify_password(user.password_hash, password) or not user.is_active:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def load_session_user(session_id: str) -> User | None:
    """The user a session names ("id:version"), if the version is current and the user active."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def begin_session(user: User, two_factor_verified: bool) -> None:
    """Sign the user in on a fresh session: nothing from before the sign-in carries over."""
    session.clear()
    login_user(user)
    if two_factor_verified:
        mark_two_factor_verified()
    user.last_login_at = clock.now()


def end_session() -> None:
    """Sign out and forget everything the session held."""
    logout_user()
    session.clear()


def log_out_everywhere(user: User) -> None:
    """End every session of the user, on every device, this one included."""
    user.session_version += 1


def disable_user(user: User) -> None:
    """Stop the user from signing in and end their sessions."""
    user.is_active = False
    user.session_version += 1


# Two-factor in the session.


def begin_two_factor_challenge(user: User, next_path: str | None) -> None:
    """Remember, on a fresh session, who passed the password step and awaits their code."""
    session.clear()
    session[PENDING_LOGIN] = {"user": user.get_id(), "at": int(time.time()), "next": next_path or ""}


def pending_login() -> tuple[User, str] | None:
    """The user who passed the password step recently, and where they were going."""
    pending = session.get(PENDING_LOGIN)
    if not isinstance(pending, dict):
        return None
    max_age = current_app.config["LOGIN_TWO_FACTOR_WINDOW_SECONDS"]
    if not isinstance(pending.get("at"), int) or time.time() - pending["at"] > max_age:
        return None
    user = load_session_user(str(pending.get("user", "")))
    return (user, str(pending.get("next") or "")) if user is not None else None


def check_second_factor(user: User, code: str) -> bool:
    """Accept a TOTP code or a recovery code, each once."""
    code = code.strip()
    if two_factor.looks_like_recovery_code(code):
        return two_factor.spend_recovery_code(user, code)
    return two_factor.spend_totp(user, code)


def mark_two_factor_verified() -> None:
    """Record in the session that the second factor was just given."""
    session[TWO_FACTOR_AT] = int(time.time())


def is_two_factor_verified() -> bool:
    """Tell whether the second factor was given in this session."""
    return isinstance(session.get(TWO_FACTOR_AT), int)


def has_fresh_two_factor(max_age_seconds: int) -> bool:
    """Tell whether the signed-in user gave their second factor within the last max_age_seconds."""
    verified_at = session.get(TWO_FACTOR_AT)
    if not current_user.is_authenticated or not current_user.has_two_factor:
        return False
    return isinstance(verified_at, int) and time.time() - verified_at <= max_age_seconds


# Password reset: a signed, expiring link that dies once the password changes.


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
    """Email a reset link if an active account has this address; say nothing either way."""
    user = user_by_email(email) if len(email) <= 320 else None
    if user is None or not user.is_active:
        return
    # At most one email per quarter of an hour: the form must not become a way to flood an inbox.
    bucket = int(time.time()) // 900
    mail.queue(
        kind="password-reset",
        dedupe_key=f"password-reset:{user.id}:{bucket}",
        recipient=mail.address(user.display_name, user.email),
        subject="Choose a new password",
        template="account_password_reset.txt",
        user=user,
        reset_url=absolute_url("accounts.reset_password", token=password_reset_token(user)),
        max_age_minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )


def set_password(user: User, password: str) -> None:
    """Change the password and end every session the user had."""
    problem = passwords.weakness(password, user.email)
    if problem:
        raise WeakPassword(problem)
    user.password_hash = passwords.hash_password(password)
    user.session_version += 1
