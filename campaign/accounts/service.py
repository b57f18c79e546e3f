"""Accounts: users, their email addresses and passwords.

Sessions are campaign/accounts/sessions.py, the second factor at sign-in
campaign/accounts/second_factor.py, password resets
campaign/accounts/password_reset.py, and what staff do to accounts
campaign/accounts/staff_accounts.py.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from campaign.accounts import passwords
from campaign.accounts.models import Role, User
from campaign.extensions import db
from campaign.validation import email_reason


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
            email.strip(),
            check_deliverability=current_app.config["EMAIL_CHECK_DELIVERABILITY"],
            allow_smtputf8=bool(current_app.config["SMTPUTF8_ENABLED"]),
        )
    except EmailNotValidError as error:
        raise InvalidEmail(
            gettext("Please check the email address: %(reason)s", reason=email_reason(error))
        ) from None
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
        raise DuplicateEmail(gettext("An account with this email address exists already.")) from None
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
