"""Organizations: their members, and invitations to join them by email."""

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
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import service as mail


class InvitationUnusable(AccountError):
    """The invitation link is unknown, expired, used, or for someone else."""


class TooManyInvitations(AccountError):
    """The organization sent as many invitations as it may in a day."""


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
    mail.queue(
        kind="invitation",
        dedupe_key=f"invitation:{invitation.id}",
        recipient=mail.address("", address),
        recipient_index=mail.recipient_index(address),
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
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= clock.now():
        raise InvitationUnusable(
            gettext("This invitation link does not work: it may have been used or have expired.")
        )
    return invitation


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
