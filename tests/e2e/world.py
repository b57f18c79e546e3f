"""The pages the browser tests walk through: the demo campaigns run by an organization, with signers,
a draft and a campaign in review; and signing in through the login form."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyotp
from playwright.sync_api import Page, expect

from campaign import clock
from campaign.accounts.models import Role
from campaign.accounts.organizations import create_organization
from campaign.accounts.service import create_user
from campaign.campaigns.comments import keep
from campaign.campaigns.demo import seed_demo
from campaign.campaigns.models import Campaign, CampaignKind, CampaignStatus
from campaign.counts import fold as counts
from campaign.signing.models import SignatureStatus
from campaign.signing.supporters import my_token
from campaign.signing.tokens import confirmation_token
from tests.support.accounts import PASSWORD, code_at
from tests.support.signers import add_signature

ORGANIZER = "organizer@example.org"
STAFF = "staff@example.org"


@dataclass
class World:
    """The campaigns, people and links the pages are opened with."""

    petition: Campaign
    letter: Campaign
    draft: Campaign
    in_review: Campaign
    confirm_path: str
    my_path: str
    organizer_secret: str
    staff_secret: str


def build_world(db: Any) -> World:
    """The demo campaigns run by an organization, a few signers with reasons, a draft and one in review."""
    seed_demo()
    petition = db.session.execute(db.select(Campaign).filter_by(slug="recognize-artsakh")).scalar_one()
    letter = db.session.execute(db.select(Campaign).filter_by(slug="suspend-arms-exports")).scalar_one()
    organizer_secret, staff_secret = pyotp.random_base32(), pyotp.random_base32()
    organizer = create_user(ORGANIZER, PASSWORD, Role.ORGANIZER, "Ani")
    organizer.totp_secret, organizer.totp_enabled_at = organizer_secret, clock.now()
    staff = create_user(STAFF, PASSWORD, Role.STAFF, "Staff")
    staff.totp_secret, staff.totp_enabled_at = staff_secret, clock.now()
    organization = create_organization("Friends of Artsakh", organizer)
    petition.organization_id = letter.organization_id = organization.id
    draft = Campaign(
        slug="draft",
        kind=CampaignKind.PETITION,
        title="Protect the monasteries",
        summary="Ask UNESCO to protect the heritage.",
        body_markdown="Please **sign**.",
        goal=1000,
        status=CampaignStatus.DRAFT,
        organization_id=organization.id,
    )
    in_review = Campaign(
        slug="in-review",
        kind=CampaignKind.PETITION,
        title="Free the prisoners",
        summary="Ask for the return of the prisoners of war.",
        body_markdown="Please **sign**.",
        goal=1000,
        status=CampaignStatus.IN_REVIEW,
        organization_id=organization.id,
    )
    db.session.add_all([draft, in_review])
    db.session.commit()
    for number, (country, source) in enumerate([("AM", "telegram"), ("FR", None), ("CA", "whatsapp")]):
        signature = add_signature(
            db,
            petition.id,
            f"signer{number}@example.org",
            country=country,
            region=None,
            source=source,
            validated_at=clock.now(),
        )
        keep(signature.id, petition.id, "Anahit", country, "For the people who had to leave their homes.")
    add_signature(db, letter.id, "writer@example.org", region="CA-ON", message="Please act.")
    pending = add_signature(db, petition.id, "pending@example.org", status=SignatureStatus.PENDING)
    db.session.commit()
    assert pending.person_id is not None
    counts.fold_signatures(batch=100)
    return World(
        petition=petition,
        letter=letter,
        draft=draft,
        in_review=in_review,
        confirm_path=f"/confirm/{confirmation_token(pending.id)}",
        my_path=f"/my/{my_token(pending.person_id)}",
        organizer_secret=organizer_secret,
        staff_secret=staff_secret,
    )


def in_language(path: str, language: str) -> str:
    """The page's address with ?lang= set."""
    return f"{path}{'&' if '?' in path else '?'}lang={language}"


def sign_in(
    page: Page,
    site: str,
    email: str,
    secret: str,
    language: str,
    on_code_page: Callable[[], None] | None = None,
) -> None:
    """Sign in through the login form and the two-factor form, as the person would."""
    page.context.clear_cookies()
    page.goto(f"{site}{in_language('/login', language)}")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.locator("input[name=code]").wait_for()
    if on_code_page is not None:
        on_code_page()
    page.locator("input[name=code]").fill(code_at(secret))
    page.locator("form button[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/login"))
