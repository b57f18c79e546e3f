"""The second factor at sign-in: who must give one, the sign-in half done, enrolling an app.

The codes themselves (TOTP that cannot be replayed, recovery codes) are
campaign/accounts/two_factor.py; what this session has given is kept on its
row (campaign/accounts/sessions.py).
"""

from __future__ import annotations

import time

from flask import current_app, session
from flask_babel import gettext
from sqlalchemy import or_, select

from campaign import clock
from campaign.accounts import two_factor
from campaign.accounts.models import MemberRole, Membership, Organization, User
from campaign.accounts.service import AccountError
from campaign.accounts.sessions import current_session
from campaign.extensions import db

# What the cookie remembers besides Flask-Login's own keys (whose "_user_id" is the session's secret).
PENDING_LOGIN = "pending_login"


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
