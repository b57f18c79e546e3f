"""Staff managing accounts: who may do what to whom, the list, creating and inviting again, disabling, roles,
a lost phone."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import ColumnElement, case, func, select

from campaign import clock
from campaign.accounts import two_factor
from campaign.accounts.models import AccountSession, MemberRole, Membership, Organization, Role, User
from campaign.accounts.service import AccountError, create_user
from campaign.accounts.sessions import end_every_session
from campaign.api import tokens as api_tokens
from campaign.api.models import ApiToken
from campaign.audit.models import AuditEvent
from campaign.audit.service import record
from campaign.extensions import db
from campaign.mail import service as mail

# The kind of mail that welcomes someone staff made an account for (campaign/accounts/messages.py).
WELCOME_KIND = "account-created"
# The states the list of accounts filters by: signed in at least once or not, or disabled.
STATES = ("active", "disabled", "never")
PER_PAGE = 50


class NotAllowed(AccountError):
    """A staff member may not do this to this account."""


# The roles only an admin gives, takes or touches (check_may_manage).
PRIVILEGED = (Role.STAFF, Role.ADMIN)


def may_manage(actor: User, target: User | None = None, role: Role | None = None) -> bool:
    """Whether check_may_manage lets the actor do this: for pages to offer only what it allows."""
    try:
        check_may_manage(actor, target, role)
    except NotAllowed:
        return False
    return True


def check_may_manage(actor: User, target: User | None, role: Role | None = None) -> None:
    """Refuse what would let staff lock themselves out, or widen who holds staff powers.

    Staff manage organizers' accounts (create, disable, reset two-factor); only
    an admin gives or takes the staff or admin role or touches a staff or admin
    account, so that one staff account, taken over, cannot make others; nobody
    changes their own account here.
    """
    if not actor.is_staff:
        raise NotAllowed(gettext("Only staff manage accounts."))
    if target is not None and target.id == actor.id:
        raise NotAllowed(gettext("You cannot change your own account here."))
    touches_staff = role in PRIVILEGED or (target is not None and target.role in PRIVILEGED)
    if touches_staff and actor.role != Role.ADMIN:
        raise NotAllowed(gettext("Only an admin manages staff and admin accounts."))


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


@dataclass(frozen=True)
class UserPage:
    """One page of the list of accounts, and whether another follows."""

    users: list[User]
    has_next: bool


def find_users(text: str = "", role: str = "", state: str = "", page: int = 1) -> UserPage:
    """Accounts whose address contains the text, of a role and a state (any if empty), PER_PAGE a page:
    admins, staff, then organizers, each by address."""
    query = select(User)
    if text.strip():
        query = query.where(User.canonical_email.contains(text.strip().lower(), autoescape=True))
    if role in {choice.value for choice in Role}:
        query = query.where(User.role == Role(role))
    if state in STATES:
        query = query.where(_state_clause(state))
    rank = case({Role.ADMIN: 0, Role.STAFF: 1}, value=User.role, else_=2)
    query = query.order_by(rank, User.canonical_email).offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1)
    found = list(db.session.execute(query).scalars())
    return UserPage(found[:PER_PAGE], len(found) > PER_PAGE)


def _state_clause(state: str) -> ColumnElement[bool]:
    """The condition for accounts in this state."""
    if state == "disabled":
        return User.is_active.is_(False)
    if state == "never":
        return User.is_active.is_(True) & User.last_login_at.is_(None)
    return User.is_active.is_(True)


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
    # Bounded like all mail someone else makes us send to an address: an account is any address staff type.
    mail.owe(
        kind=WELCOME_KIND,
        dedupe_key=f"account-created:{user.id}",
        ref_id=user.id,
        recipient_index=mail.recipient_index(user.email),
    )
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


def resend_invitation(user: User, *, actor: str) -> bool:
    """Email again the link to choose a password, to someone who never signed in; audited.

    The first link lives an hour (PASSWORD_RESET_MAX_AGE): this is how staff send a
    fresh one. Tell whether it was sent: at most one each quarter of an hour, and
    never more than the address's bound of mail.
    """
    if not user.is_active or user.last_login_at is not None:
        raise NotAllowed(gettext("Only an account that has never signed in is invited again."))
    bucket = int(time.time()) // 900
    owed = mail.owe(
        kind=WELCOME_KIND,
        dedupe_key=f"account-invited:{user.id}:{bucket}",
        ref_id=user.id,
        recipient_index=mail.recipient_index(user.email),
    )
    record(actor, "user.invited", f"user:{user.id}", sent=owed is not None)
    return owed is not None


@dataclass(frozen=True)
class DisablingEffects:
    """What disabling an account ends: its sessions and API tokens; and organizations it alone owns."""

    sessions: int
    tokens: int
    sole_owner_of: list[Organization]


def disabling_effects(user: User) -> DisablingEffects:
    """What disabling this account would end, for the page that asks to confirm it."""
    now = clock.now()
    sessions = db.session.execute(
        select(func.count()).where(AccountSession.user_id == user.id, AccountSession.expires_at > now)
    ).scalar_one()
    tokens = db.session.execute(
        select(func.count()).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now
        )
    ).scalar_one()
    return DisablingEffects(sessions, tokens, _sole_owner_of(user))


def _sole_owner_of(user: User) -> list[Organization]:
    """The organizations whose only owner is this user."""
    owners = (
        select(Membership.organization_id)
        .where(Membership.role == MemberRole.OWNER)
        .group_by(Membership.organization_id)
        .having(func.count() == 1)
    )
    return list(
        db.session.execute(
            select(Organization)
            .join(Membership)
            .where(
                Membership.user_id == user.id,
                Membership.role == MemberRole.OWNER,
                Organization.id.in_(owners),
            )
            .order_by(Organization.name)
        ).scalars()
    )
