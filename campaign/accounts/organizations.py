"""Organizations: their members, and invitations to join them by email (sent, revoked, accepted)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from campaign import clock, slugs
from campaign.accounts.models import Invitation, MemberRole, Membership, Organization, Role, User
from campaign.accounts.service import (
    AccountError,
    canonical_email,
    create_user,
    normalized_email,
)
from campaign.audit.models import AuditEvent
from campaign.audit.service import record
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.mail import suppressions


class InvitationUnusable(AccountError):
    """The invitation link is unknown, expired, used, or for someone else."""


class TooManyInvitations(AccountError):
    """The organization sent as many invitations as it may in a day."""


class LastOwner(AccountError):
    """The member is the organization's only owner: removing them would leave it without one."""


# The audit action of a revoked invitation: its link then says so (see invitation_for_token).
REVOKED = "organization.invitation_revoked"


def slugify(name: str) -> str:
    """A URL-friendly form of a name, transliterated from any script (campaign.slugs)."""
    return slugs.slugify(name, fallback="organization")


def create_organization(name: str, owner: User) -> Organization:
    """Create an organization whose first owner is the given user."""
    base = slugify(name)
    for attempt in range(20):
        slug = base if attempt == 0 else f"{base}-{secrets.token_hex(2)}"
        organization = Organization(name=name.strip(), slug=slug)
        try:
            with db.session.begin_nested():
                db.session.add(organization)
        except IntegrityError:
            continue  # the slug is taken; the unique constraint said so
        db.session.add(Membership(organization=organization, user=owner, role=MemberRole.OWNER))
        db.session.flush()
        return organization
    raise AccountError(gettext("Please choose another name."))


def organizations_of(user: User) -> list[Organization]:
    """The organizations the user belongs to, by name."""
    return list(
        db.session.execute(
            select(Organization)
            .join(Membership)
            .where(Membership.user_id == user.id)
            .order_by(Organization.name)
        ).scalars()
    )


def membership(user: User, organization_id: int) -> Membership | None:
    """The user's membership of the organization, if any."""
    return db.session.get(Membership, (organization_id, user.id))


def can_view(user: User, organization: Organization) -> bool:
    """Members, staff and admins may see an organization."""
    return user.is_staff or membership(user, organization.id) is not None


def can_manage(user: User, organization: Organization) -> bool:
    """Owners, staff and admins may invite people into an organization."""
    if user.is_staff:
        return True
    found = membership(user, organization.id)
    return found is not None and found.role == MemberRole.OWNER


def members(organization: Organization) -> list[Membership]:
    """The organization's memberships, owners first."""
    return sorted(organization.memberships, key=lambda m: (m.role != MemberRole.OWNER, m.user.display_name))


def pending_invitations(organization: Organization) -> list[Invitation]:
    """Invitations not accepted and not expired, newest first."""
    return list(
        db.session.execute(
            select(Invitation)
            .where(
                Invitation.organization_id == organization.id,
                Invitation.accepted_at.is_(None),
                Invitation.expires_at > clock.now(),
            )
            .order_by(Invitation.created_at.desc())
        ).scalars()
    )


def invite(organization: Organization, email: str, role: MemberRole, invited_by: User) -> Invitation:
    """Invite someone by email; the email leaves after the commit, unless the address had its fill."""
    address = normalized_email(email)
    _check_invitations_left(organization)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization_id=organization.id,
        email=address,
        canonical_email=canonical_email(address),
        role=role,
        token_hash=_token_hash(token),
        invited_by_id=invited_by.id,
        expires_at=clock.now() + timedelta(seconds=current_app.config["INVITATION_MAX_AGE"]),
    )
    db.session.add(invitation)
    db.session.flush()
    index = mail.recipient_index(address)
    # Anyone may be invited: the invitation lets its recipient stop all mail to the address in one click.
    stop_url = suppressions.stop_url(index)
    mail.queue(
        kind="invitation",
        dedupe_key=f"invitation:{invitation.id}",
        recipient=mail.address("", address),
        recipient_index=index,
        list_unsubscribe=stop_url,
        stop_url=stop_url,
        subject=gettext("Join %(name)s on Campaigns", name=organization.name),
        template="account_invitation.txt",
        organization=organization,
        inviter=invited_by,
        accept_url=absolute_url("accounts.invitation", token=token),
        max_age_days=current_app.config["INVITATION_MAX_AGE"] // 86400,
    )
    return invitation


def _check_invitations_left(organization: Organization) -> None:
    """Refuse a new invitation once the organization sent INVITATIONS_PER_ORGANIZATION_PER_DAY today."""
    limit = current_app.config["INVITATIONS_PER_ORGANIZATION_PER_DAY"]
    sent = db.session.execute(
        select(func.count()).where(
            Invitation.organization_id == organization.id,
            Invitation.created_at > clock.now() - timedelta(days=1),
        )
    ).scalar_one()
    if sent >= limit:
        raise TooManyInvitations(
            gettext(
                "This organization has sent %(limit)s invitations in the last 24 hours, as many as it may."
                " Please try again tomorrow.",
                limit=limit,
            )
        )


def invitation_for_token(token: str) -> Invitation:
    """The open invitation a link's token names."""
    invitation = db.session.execute(
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if invitation is not None and invitation.accepted_at is None and _was_revoked(invitation):
        raise InvitationUnusable(
            gettext(
                "%(name)s withdrew this invitation. Ask them for a new one if you still mean to join.",
                name=invitation.organization.name,
            )
        )
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= clock.now():
        raise InvitationUnusable(
            gettext("This invitation link does not work: it may have been used or have expired.")
        )
    return invitation


def revoke_invitation(organization: Organization, invitation_id: int, *, by: User) -> Invitation | None:
    """Withdraw a pending invitation: its link stops working and says why; audited. None if none waits."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.organization_id != organization.id:
        return None
    if invitation.accepted_at is not None or invitation.expires_at <= clock.now():
        return None
    invitation.expires_at = clock.now()
    record(f"user:{by.id}", REVOKED, f"invitation:{invitation.id}", organization=organization.id)
    return invitation


def _was_revoked(invitation: Invitation) -> bool:
    """Tell whether an owner withdrew the invitation (the audit log keeps it; the row only expires)."""
    if invitation.expires_at > clock.now():
        return False
    return (
        db.session.execute(
            select(AuditEvent.id).where(
                AuditEvent.subject == f"invitation:{invitation.id}", AuditEvent.action == REVOKED
            )
        ).first()
        is not None
    )


def remove_member(organization: Organization, user_id: int, *, by: User) -> User | None:
    """Take someone out of the organization, never its last owner; audited. The user removed; None if
    they are not a member."""
    # Locking the organization's row makes two owners removing each other at once wait in turn,
    # so the count of owners below cannot be stale: an organization always keeps one.
    db.session.execute(select(Organization.id).where(Organization.id == organization.id).with_for_update())
    found = db.session.get(Membership, (organization.id, user_id))
    if found is None:
        return None
    if found.role == MemberRole.OWNER and _owner_count(organization) <= 1:
        raise LastOwner(
            gettext(
                "An organization keeps at least one owner: invite someone as an owner"
                " before you remove this one."
            )
        )
    record(
        f"user:{by.id}",
        "organization.member_removed",
        f"organization:{organization.id}",
        user=f"user:{user_id}",
        role=str(found.role),
    )
    removed = found.user
    db.session.delete(found)
    db.session.flush()
    return removed


def _owner_count(organization: Organization) -> int:
    """How many owners the organization has."""
    return db.session.execute(
        select(func.count()).where(
            Membership.organization_id == organization.id, Membership.role == MemberRole.OWNER
        )
    ).scalar_one()


def accept(invitation: Invitation, user: User) -> Membership:
    """Make the user a member as invited; only the invited address may accept."""
    if canonical_email(user.email) != invitation.canonical_email:
        raise InvitationUnusable(
            gettext(
                "This invitation is for %(email)s. Please sign in with that address.", email=invitation.email
            )
        )
    invitation.accepted_at = clock.now()
    found = membership(user, invitation.organization_id)
    if found is None:
        found = Membership(organization_id=invitation.organization_id, user_id=user.id, role=invitation.role)
        db.session.add(found)
    elif invitation.role == MemberRole.OWNER:
        found.role = MemberRole.OWNER
    db.session.flush()
    return found


def accept_as_new_user(invitation: Invitation, display_name: str, password: str) -> User:
    """Create an organizer account for the invited address and accept the invitation with it."""
    user = create_user(invitation.email, password, Role.ORGANIZER, display_name)
    accept(invitation, user)
    return user


def _token_hash(token: str) -> str:
    """The stored form of an invitation link's secret."""
    return hashlib.sha256(token.encode()).hexdigest()
