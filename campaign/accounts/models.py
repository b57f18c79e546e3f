"""Accounts: users and their roles, organizations and their members, invitations."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign import clock
from campaign.campaigns.models import _enum
from campaign.extensions import db


class Role(enum.StrEnum):
    """What a user may do on the platform as a whole."""

    ADMIN = "admin"
    STAFF = "staff"
    ORGANIZER = "organizer"


class MemberRole(enum.StrEnum):
    """What a member may do in one organization."""

    OWNER = "owner"
    MEMBER = "member"


class ChangeReview(enum.StrEnum):
    """Who approves a member's change to an approved campaign: one of the organization's owners, or staff."""

    OWNER = "owner"
    STAFF = "staff"


class User(db.Model):  # type: ignore[name-defined]
    """Someone who signs in: an organizer, a staff member or an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    # Lower-cased: the one form an address takes for uniqueness and look-ups.
    canonical_email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "user_role"))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Stored in each session; raising it ends every session the user has.
    session_version: Mapped[int] = mapped_column(default=1)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # When two-factor was switched on; None while it is off.
    totp_enabled_at: Mapped[datetime | None]
    # The last 30-second step a code was accepted for: that code and older ones are spent.
    totp_last_step: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_login_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")

    @property
    def has_two_factor(self) -> bool:
        """Tell whether two-factor is switched on."""
        return self.totp_enabled_at is not None and self.totp_secret is not None

    @property
    def role_needs_two_factor(self) -> bool:
        """Tell whether the role alone demands two-factor: admins and staff (see second_factor.py)."""
        return self.role in (Role.ADMIN, Role.STAFF)

    @property
    def is_staff(self) -> bool:
        """Tell whether the user is staff or an admin."""
        return self.role in (Role.ADMIN, Role.STAFF)

    # Flask-Login's user protocol.
    @property
    def is_authenticated(self) -> bool:
        """A loaded user is signed in."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """A loaded user is never anonymous."""
        return False

    def get_id(self) -> str:
        """The user's id with the version of their sessions (a pending sign-in names the user by it)."""
        return f"{self.id}:{self.session_version}"


class AccountSession(db.Model):  # type: ignore[name-defined]
    """One signed-in browser: the cookie holds a random secret, the server holds what it may do.

    Signing out deletes the row, so a copy of the cookie opens nothing afterwards;
    what must not be readable in the (signed, not encrypted) cookie lives here.
    """

    __tablename__ = "account_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SHA-256 of the cookie's secret: a dump of the table opens no session.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # However active, a session ends here and asks for the password again.
    expires_at: Mapped[datetime]
    # When the second factor was last given in this session; None: not yet.
    two_factor_at: Mapped[datetime | None]
    # The secret of an authenticator app being enrolled, until a code proves the app has it.
    totp_setup_secret: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()


class LoginFailure(db.Model):  # type: ignore[name-defined]
    """Failed sign-ins counted under one keyed hash: an (account, client) pair, a client, or an account."""

    __tablename__ = "login_failures"

    # A keyed hash of what is counted: neither addresses nor emails are kept in clear.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(index=True)
    # No attempt for this pair is looked at before this moment.
    blocked_until: Mapped[datetime | None]


class RecoveryCode(db.Model):  # type: ignore[name-defined]
    """One single-use recovery code, kept only as a hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Organization(db.Model):  # type: ignore[name-defined]
    """A group that runs campaigns; its members share them."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Whether its members may export its campaigns' signers themselves (set by an owner).
    allows_member_exports: Mapped[bool] = mapped_column(default=False)
    # Owners always sign in with two-factor; this makes every member do so (set by an owner).
    members_need_two_factor: Mapped[bool] = mapped_column(default=False)
    # Who approves what a member (not an owner) changes once staff approved a
    # campaign: an outcome, its text, an update to signers, closing it.
    change_review: Mapped[ChangeReview] = mapped_column(
        _enum(ChangeReview, "change_review"), default=ChangeReview.OWNER, server_default="owner"
    )
    # Its logo on its campaigns' pages (campaign.accounts.logos): the re-encoded file's random name.
    logo_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    logo_width: Mapped[int | None]
    logo_height: Mapped[int | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )


class Membership(db.Model):  # type: ignore[name-defined]
    """A user's place in an organization."""

    __tablename__ = "memberships"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[MemberRole] = mapped_column(_enum(MemberRole, "member_role"), default=MemberRole.MEMBER)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    organization: Mapped[Organization] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships")


class Invitation(db.Model):  # type: ignore[name-defined]
    """An invitation by email to join an organization; the link's secret is kept only as a hash."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    canonical_email: Mapped[str] = mapped_column(String(320))
    role: Mapped[MemberRole] = mapped_column(_enum(MemberRole, "invitation_role"), default=MemberRole.MEMBER)
    token_hash: Mapped[str] = mapped_column(String(64))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship()
