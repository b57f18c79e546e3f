"""Fixtures for updates and the dashboard: organizations with campaigns, signers, signed-in browsers."""

from __future__ import annotations

import itertools
from typing import Any

import pyotp
import pytest

from campaign import clock
from campaign.accounts.models import MemberRole, Membership, Organization, Role
from campaign.accounts.service import create_user
from campaign.signing.models import SignatureStatus
from tests.accounts.conftest import PASSWORD, code_at, log_in, post_form
from tests.support.signers import add_signature

_people = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_limits(app: Any) -> Any:
    """Forget the rate limiter's counts after each test (every test here signs in)."""
    yield
    from campaign.extensions import limiter

    limiter.reset()


def make_organization(db: Any, name: str) -> Organization:
    """An organization with no members yet."""
    organization = Organization(name=name, slug=f"org-{next(_people)}")
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


def add_signer(
    db: Any,
    campaign: Any,
    email: str,
    *,
    opt_in: bool = True,
    status: SignatureStatus = SignatureStatus.VALIDATED,
    country: str = "AM",
    source: str | None = None,
    given_name: str = "Ani",
) -> int:
    """One person and their signature on the campaign (names sealed); returns the person's id."""
    signature = add_signature(
        db,
        campaign.id,
        email,
        given_name=given_name,
        family_name="Doe",
        country=country,
        region=None,
        consent_version="t",
        client_hash="h",
        status=status,
        has_email_opt_in=opt_in,
        source=source,
        validated_at=clock.now() if status != SignatureStatus.PENDING else None,
    )
    return int(signature.person_id)


def finish_sending(db: Any) -> None:
    """Queue every update left sending, here and now, so no worker is at it when the tables are emptied."""
    from sqlalchemy import select

    from campaign.updates import service
    from campaign.updates.models import Update, UpdateStatus

    db.session.expire_all()
    sending = db.session.execute(select(Update.id).where(Update.status == UpdateStatus.SENDING)).scalars()
    for update_id in list(sending):
        service.queue_update(update_id)
