"""Organizations and their members for the updates and dashboard tests, and browsers signed in to them."""

from __future__ import annotations

import itertools
from typing import Any

import pyotp

from campaign import clock
from campaign.accounts.models import MemberRole, Membership, Organization, Role
from campaign.accounts.service import create_user
from tests.support.accounts import PASSWORD, code_at, log_in
from tests.support.forms import post_form

_slugs = itertools.count(1)


def make_organization(db: Any, name: str) -> Organization:
    """An organization with no members yet."""
    organization = Organization(name=name, slug=f"org-{next(_slugs)}")
    db.session.add(organization)
    db.session.commit()
    return organization


def join(db: Any, user: Any, organization: Organization, role: MemberRole = MemberRole.MEMBER) -> None:
    """Make the user a member (or an owner) of the organization."""
    db.session.add(Membership(organization_id=organization.id, user_id=user.id, role=role))
    db.session.commit()


def signed_in(app: Any, db: Any, email: str, role: Role, *, organization: Organization | None = None) -> Any:
    """A browser signed in as a new user of this role: staff, or an owner of the organization.

    Both give two-factor at sign-in: owners must, and what an owner sends to
    signers takes effect only with a recent second factor (a member's waits
    for approval: tests/builder/test_changes_review.py).
    """
    user = create_user(email, PASSWORD, role, email.partition("@")[0].title())
    secret = pyotp.random_base32()
    has_two_factor = role in (Role.STAFF, Role.ADMIN) or organization is not None
    if has_two_factor:
        user.totp_secret, user.totp_enabled_at = secret, clock.now()
    db.session.commit()
    if organization is not None:
        join(db, user, organization, MemberRole.OWNER)
    browser = app.test_client()
    log_in(browser, email)
    if has_two_factor:
        post_form(browser, "/login/two-factor", code=code_at(secret))
    return browser
