"""Staff managing accounts: who may do what to whom, creating, disabling, roles, a lost phone."""

from __future__ import annotations

import secrets

from flask_babel import gettext
from sqlalchemy import case, select

from campaign.accounts import two_factor
from campaign.accounts.models import Role, User
from campaign.accounts.service import AccountError, create_user
from campaign.accounts.sessions import end_every_session
from campaign.api import tokens as api_tokens
from campaign.audit.models import AuditEvent
from campaign.audit.service import record
from campaign.extensions import db
from campaign.mail import service as mail

# The kind of mail that welcomes someone staff made an account for (campaign/accounts/messages.py).
WELCOME_KIND = "account-created"


class NotAllowed(AccountError):
    """A staff member may not do this to this account."""


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


def create_user_by_staff(email: str, role: Role, display_name: str, *, actor: str) -> User:
    """Create an account for someone, who chooses their password from an emailed link; audited."""
    user = create_user(email, secrets.token_urlsafe(32) + "Aa1!", role, display_name)
    db.session.flush()
    mail.owe(kind=WELCOME_KIND, dedupe_key=f"account-created:{user.id}", ref_id=user.id)
    record(actor, "user.created", f"user:{user.id}", role=str(role))
    return user


def disable_user(user: User, *, actor: str) -> None:
    """Stop the user from signing in: their sessions end and their API tokens are revoked; audited."""
    user.is_active = False
    end_every_session(user)
    api_tokens.revoke_all(user, actor=actor, reason="account disabled")
    record(actor, "user.disabled", f"user:{user.id}")


def reset_two_factor(user: User, *, actor: str) -> None:
    """Switch the user's two-factor off (a lost phone) and end their sessions: they enrol again."""
    two_factor.disable(user)
    end_every_session(user)
    record(actor, "user.two_factor_reset", f"user:{user.id}")
