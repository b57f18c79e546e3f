"""The pages the browser tests walk through: the demo campaigns run by an organization, with signers,
a draft and a campaign in review; and signing in through the login form."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
from playwright.sync_api import Page, expect

from campaign import clock
from campaign.accounts import organizations
from campaign.accounts.models import ChangeReview, MemberRole, Role
from campaign.accounts.organizations import create_organization
from campaign.accounts.password_reset import password_reset_token
from campaign.accounts.service import create_user
from campaign.builder.models import ChangeKind, ChangeRequest
from campaign.campaigns.comments import keep
from campaign.campaigns.demo import seed_demo
from campaign.campaigns.models import Campaign, CampaignKind, CampaignStatus, OutcomeKind
from campaign.counts import fold as counts
from campaign.exports.models import Export, ExportStatus
from campaign.ledger import proofs
from campaign.ledger.heads import publish_heads
from campaign.ledger.receipt_ids import receipt_for
from campaign.signing.models import Signature, SignatureStatus
from campaign.signing.supporters import my_token
from campaign.signing.tokens import confirmation_token
from campaign.targets.followups import reply_token
from campaign.targets.models import AddressProblem, FollowUp, Letter, LetterCampaign, Official, Targeting
from campaign.updates.service import create_draft
from campaign.updates.tokens import unsubscribe_token
from tests.support import outbox
from tests.support.accounts import PASSWORD, code_at
from tests.support.signers import add_signature

ORGANIZER = "organizer@example.org"
# An organizer of no organization, without a second factor yet: the one who sees its enrolment page.
NEWCOMER = "newcomer-organizer@example.org"
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
    links: dict[str, str]


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
    create_user(NEWCOMER, PASSWORD, Role.ORGANIZER, "Sona")
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
    # A campaign that ended in a victory, on the list of those that ended.
    ended = Campaign(
        slug="ended",
        kind=CampaignKind.PETITION,
        title="Open the corridor",
        summary="Ask for the corridor to open.",
        body_markdown="Please **sign**.",
        goal=1000,
        status=CampaignStatus.CLOSED,
        closed_at=clock.now() - timedelta(days=3),
        outcome_kind=OutcomeKind.VICTORY,
        outcome_markdown="The corridor opened.",
        outcome_at=clock.now() - timedelta(days=1),
        organization_id=organization.id,
    )
    db.session.add_all([draft, in_review, ended])
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
    links = more_pages(db, petition, letter, organization, organizer, staff)
    return World(
        petition=petition,
        letter=letter,
        draft=draft,
        in_review=in_review,
        confirm_path=f"/confirm/{confirmation_token(pending.id)}",
        my_path=f"/my/{my_token(pending.person_id)}",
        organizer_secret=organizer_secret,
        staff_secret=staff_secret,
        links=links,
    )


def in_language(path: str, language: str) -> str:
    """The page's address with ?lang= set."""
    return f"{path}{'&' if '?' in path else '?'}lang={language}"


def sign_in(
    page: Page,
    site: str,
    email: str,
    secret: str | None,
    language: str,
    on_code_page: Callable[[], None] | None = None,
) -> None:
    """Sign in through the login form and the two-factor form (none without a secret), as the person would."""
    page.context.clear_cookies()
    page.goto(f"{site}{in_language('/login', language)}")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").first.click()
    if secret is None:
        expect(page).not_to_have_url(re.compile(r"/login"))
        return
    page.locator("input[name=code]").wait_for()
    if on_code_page is not None:
        on_code_page()
    page.locator("input[name=code]").fill(code_at(secret))
    page.locator("form button[type=submit]").first.click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def more_pages(
    db: Any, petition: Campaign, letter: Campaign, organization: Any, organizer: Any, staff: Any
) -> dict[str, str]:
    """The pages reached by a link in an email or by one id: each made as its email or form makes it."""
    signer = (
        db.session.execute(
            db.select(Signature).filter_by(campaign_id=petition.id, status=SignatureStatus.VALIDATED)
        )
        .scalars()
        .first()
    )
    writer = db.session.execute(db.select(Signature).filter_by(campaign_id=letter.id)).scalar_one()
    publish_heads()
    db.session.add(FollowUp(signature_id=writer.id, campaign_id=letter.id, asked_at=clock.now()))
    organizations.invite(organization, "newcomer@example.org", MemberRole.MEMBER, organizer)
    draft_letter = Campaign(
        slug="draft-letter",
        kind=CampaignKind.LETTER,
        title="Write to the ministers",
        summary="Ask them to suspend the permits.",
        body_markdown="Please **write**.",
        goal=1000,
        status=CampaignStatus.DRAFT,
        organization_id=organization.id,
    )
    db.session.add(draft_letter)
    db.session.flush()
    db.session.add(
        LetterCampaign(
            campaign_id=draft_letter.id,
            subject_template="Suspend the permits",
            body_template="Dear $official_name,\n\n$message\n\n$name",
            targeting=Targeting.FIXED,
        )
    )
    # An office that reported the letters as spam: its address is paused, on the staff's page.
    db.session.add(
        Official(
            name="Morgan Ontario",
            title="MPP",
            country="CA",
            region="CA-ON",
            email="ca-on@example.org",
            bad_since=clock.now(),
            address_problem=AddressProblem.COMPLAINT,
        )
    )
    # A letter held for review, on the staff's page with its release button.
    minister = Official(name="Sam Minister", title="Minister", country="CA", email="minister@example.org")
    db.session.add(minister)
    db.session.flush()
    db.session.add(
        Letter(
            campaign_id=letter.id,
            signature_id=writer.id,
            official_id=minister.id,
            message_hash=writer.message_hash,
            is_held=True,
        )
    )
    text_change = ChangeRequest(
        campaign_id=petition.id,
        kind=ChangeKind.TEXT,
        review_by=ChangeReview.OWNER,
        pending_key=str(ChangeKind.TEXT),
        payload={"title": "Recognize Artsakh now", "summary": petition.summary, "body_markdown": "Sign."},
        proposed_by_id=organizer.id,
    )
    letter_change = ChangeRequest(
        campaign_id=letter.id,
        kind=ChangeKind.LETTER,
        review_by=ChangeReview.STAFF,
        pending_key=str(ChangeKind.LETTER),
        payload={"subject_template": "Suspend them", "body_template": "Dear $official_name,\n\n$message"},
        proposed_by_id=organizer.id,
    )
    update = create_draft(petition, organizer, "We reached 1,000", "Thank you for **signing**.")
    now = clock.now()
    export = Export(
        campaign_id=petition.id,
        requested_by=f"user:{staff.id}",
        user_id=staff.id,
        columns=["email"],
        status=ExportStatus.DONE,
        total_rows=3,
        written_rows=3,
        file_name="export.csv",
        created_at=now,
        finished_at=now,
        expires_at=now + timedelta(hours=24),
    )
    db.session.add_all([text_change, letter_change, export])
    db.session.commit()
    receipt = receipt_for(signer.id)
    state = proofs.receipt_state(petition.id, receipt)
    assert state is not None and not state.is_pending, "the receipt is in no published head"
    [invitation] = re.findall(r"/invitations/[\w-]+", " ".join(outbox.bodies(db, "invitation")))
    return {
        "receipt": f"/campaigns/{petition.slug}/receipts/{receipt}",
        "unsubscribe": f"/u/{unsubscribe_token(petition.id, signer.person_id)}",
        "replied": f"/letters/replied/{reply_token(writer.id)}",
        "reset": f"/password/reset/{password_reset_token(organizer)}",
        "invitation": invitation,
        "draft_letter": f"/organize/campaigns/{draft_letter.id}/letter",
        "change": f"/organize/campaigns/{petition.id}/changes/{text_change.id}",
        "update": f"/organize/campaigns/{petition.id}/updates/{update.id}",
        "staff_change": f"/staff/moderation/changes/{letter_change.id}",
        "staff_user": f"/staff/users/{organizer.id}",
        "export": f"/staff/exports/{export.id}",
        "organization": f"/organizations/{organization.id}",
    }
