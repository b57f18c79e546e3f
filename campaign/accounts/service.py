"""Accounts: creating and disabling users, sessions kept on the server, two-factor, password resets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app, g, session
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import case, delete, or_, select
from sqlalchemy.exc import IntegrityError

from campaign import clock
from campaign.accounts import passwords, two_factor
from campaign.accounts.models import AccountSession, MemberRole, Membership, Organization, Role, User
from campaign.api import tokens as api_tokens
from campaign.audit.models import AuditEvent
from campaign.audit.service import record
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.privacy import vault
from campaign.validation import email_reason

# What the cookie remembers besides Flask-Login's own keys (whose "_user_id" is the session's secret).
PENDING_LOGIN = "pending_login"

# The kinds of mail about accounts, written by the worker (campaign/accounts/messages.py).
RESET_KIND = "password-reset"
WELCOME_KIND = "account-created"
# The reference of a reset owed for an address no active account has: the row is written
# like any other, so the answer takes the same time, and its composer sends nothing.
NOBODY = 0

_RESET_SALT = "password-reset"


class AccountError(Exception):
    """A request about accounts that cannot be granted; the message is for people."""


class WeakPassword(AccountError):
    """The new password does not meet the rules."""


class DuplicateEmail(AccountError):
    """Another account has this email address."""


class InvalidEmail(AccountError):
    """The email address is not one we can write to."""


class NotAllowed(AccountError):
    """A staff member may not do this to this account."""


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


def disable_user(user: User, *, actor: str) -> None:
    """Stop the user from signing in: their sessions end and their API tokens are revoked; audited."""
    user.is_active = False
    end_every_session(user)
    api_tokens.revoke_all(user, actor=actor, reason="account disabled")
    record(actor, "user.disabled", f"user:{user.id}")


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


# Sessions: the cookie names a row; signing out deletes it.


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


# Two-factor: who must use it, and what this session has given.


def needs_two_factor(user: User) -> bool:
    """Tell whether the user must sign in with two-factor: staff and admins, owners of an
    organization, and members of one that asks it of everyone."""
    if user.role_needs_two_factor:
        return True
    required = db.session.execute(
        select(Membership.user_id)
        .join(Organization, Membership.organization_id == Organization.id)
        .where(
            Membership.user_id == user.id,
            or_(Membership.role == MemberRole.OWNER, Organization.members_need_two_factor.is_(True)),
        )
        .limit(1)
    ).first()
    return required is not None


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
    user_id, _, version = str(pending.get("user", "")).partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    # Signing out everywhere or a new password also ends a sign-in half done.
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user, str(pending.get("next") or "")


def check_second_factor(user: User, code: str) -> bool:
    """Accept a TOTP code or a recovery code, each once."""
    code = code.strip()
    if two_factor.looks_like_recovery_code(code):
        return two_factor.spend_recovery_code(user, code)
    return two_factor.spend_totp(user, code)


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


def enrolment_secret() -> str:
    """The secret of the authenticator app this session is enrolling, made on first use.

    It stays on the server until a code proves the app has it: the cookie is
    signed but readable, and whoever reads it must not learn a second factor.
    """
    row = current_session()
    if row is None:
        raise AccountError(gettext("Please sign in first."))
    if not row.totp_setup_secret:
        row.totp_setup_secret = two_factor.new_secret()
    return row.totp_setup_secret


def finish_enrolment(user: User, code: str) -> list[str] | None:
    """Switch two-factor on if the code matches the enrolment secret; new recovery codes, or None."""
    codes = two_factor.enable(user, enrolment_secret(), code)
    if codes is not None:
        row = current_session()
        if row is not None:
            row.totp_setup_secret = None
            row.two_factor_at = clock.now()
    return codes


def reset_two_factor(user: User, *, actor: str) -> None:
    """Switch the user's two-factor off (a lost phone) and end their sessions: they enrol again."""
    two_factor.disable(user)
    end_every_session(user)
    record(actor, "user.two_factor_reset", f"user:{user.id}")


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


def create_user_by_staff(email: str, role: Role, display_name: str, *, actor: str) -> User:
    """Create an account for someone, who chooses their password from an emailed link; audited."""
    user = create_user(email, secrets.token_urlsafe(32) + "Aa1!", role, display_name)
    db.session.flush()
    mail.owe(kind=WELCOME_KIND, dedupe_key=f"account-created:{user.id}", ref_id=user.id)
    record(actor, "user.created", f"user:{user.id}", role=str(role))
    return user


# Staff managing accounts: who may do what to whom.


def check_may_manage(actor: User, target: User | None, role: Role | None = None) -> None:
    """Refuse what would let staff lock themselves out or raise anyone (themselves included) to admin.

    Staff and admins manage organizers and staff; only an admin touches an admin
    account or gives the admin role; nobody changes their own account here.
    """
    if not actor.is_staff:
        raise NotAllowed(gettext("Only staff manage accounts."))
    if target is not None and target.id == actor.id:
        raise NotAllowed(gettext("You cannot change your own account here."))
    touches_admin = role == Role.ADMIN or (target is not None and target.role == Role.ADMIN)
    if touches_admin and actor.role != Role.ADMIN:
        raise NotAllowed(gettext("Only an admin manages admin accounts."))


def enable_user(user: User, *, actor: str) -> None:
    """Let a disabled user sign in again (their old sessions and tokens stay ended); audited."""
    user.is_active = True
    record(actor, "user.enabled", f"user:{user.id}")


def change_role(user: User, role: Role, *, actor: str) -> None:
    """Give the user another platform role (it applies at their next request); audited."""
    if user.role == role:
        return
    record(actor, "user.role_changed", f"user:{user.id}", old=str(user.role), new=str(role))
    user.role = role


def find_users(text: str = "", limit: int = 200) -> list[User]:
    """Accounts whose address contains the text (all if empty): admins, staff, then organizers."""
    query = select(User)
    if text.strip():
        query = query.where(User.canonical_email.contains(text.strip().lower(), autoescape=True))
    rank = case({Role.ADMIN: 0, Role.STAFF: 1}, value=User.role, else_=2)
    return list(db.session.execute(query.order_by(rank, User.canonical_email).limit(limit)).scalars())


def account_history(user: User, limit: int = 20) -> list[AuditEvent]:
    """The latest audited actions on an account, newest first."""
    return list(
        db.session.execute(
            select(AuditEvent)
            .where(AuditEvent.subject == f"user:{user.id}")
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        ).scalars()
    )
