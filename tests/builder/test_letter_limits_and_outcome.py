"""The limits an approved campaign keeps, and what staff are told before approving an outcome.

A letter signers may edit whole has at most 5,000 characters when the organizer
writes it in the builder; new words for it after approval, and its translation,
are held to the same limit: refused beside the field, nothing kept. Staff
reviewing a first outcome read how many signers approving it emails, counted
as they look.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from campaign import clock
from campaign.accounts.models import ChangeReview
from campaign.builder.models import ChangeKind, ChangeRequest, ChangeStatus
from campaign.campaigns.models import Campaign, CampaignKind, CampaignTranslation
from campaign.signing.models import SignatureStatus
from campaign.targets.letters import without_message_slot
from campaign.targets.models import LetterCampaign
from tests.support.builder import Person, Team, staff_reviewed_member
from tests.support.forms import post_form
from tests.support.letters import BODY, SUBJECT
from tests.support.signers import add_signer

TOO_LONG = "A letter signers edit can have at most 5,000 characters: please shorten it."
LIMIT = 5000


def letter_of(length: int) -> str:
    """A letter whose words, without the signer's $message slot, are `length` characters long."""
    words = ("Dear $official_name,\n\n" + "Please recognize Artsakh. " * 250)[: length - 1].rstrip()
    words += "." * (length - len(words))
    body = f"{words}\n\n$message\n"
    assert len(without_message_slot(body)) == length
    return body


def editable_letter_campaign(db: Any, make_campaign: Any, team: Team) -> Campaign:
    """An open letter campaign of the organizer's organization whose signers may edit the whole letter."""
    campaign = make_campaign(kind=CampaignKind.LETTER, organization_id=team.organization.id)
    db.session.add(
        LetterCampaign(
            campaign_id=campaign.id,
            subject_template=SUBJECT,
            body_template=BODY,
            signers_may_edit_letter=True,
        )
    )
    db.session.commit()
    return campaign


def count(db: Any, model: Any) -> int:
    """How many rows the table has."""
    return int(db.session.execute(select(func.count()).select_from(model)).scalar_one())


def the_change(db: Any, kind: ChangeKind) -> ChangeRequest:
    """The one change of this kind."""
    db.session.expire_all()
    return db.session.execute(select(ChangeRequest).where(ChangeRequest.kind == kind)).scalar_one()


def approved_letter(db: Any, campaign: Campaign) -> tuple[str, str]:
    """The subject and body the campaign's letters use now."""
    db.session.expire_all()
    settings = db.session.get_one(LetterCampaign, campaign.id)
    return settings.subject_template, settings.body_template


def test_new_letter_words_over_the_whole_letter_limit_are_refused_and_at_it_applied(db, team, make_campaign):
    campaign = editable_letter_campaign(db, make_campaign, team)
    revise = f"/organize/campaigns/{campaign.id}/letter/revise"
    form = team.organizer.browser.get(revise).get_data(as_text=True)
    assert "it can have at most 5,000 characters" in form

    refused = post_form(
        team.organizer.browser,
        revise,
        subject_template="Suspend the permits",
        body_template=letter_of(LIMIT + 1),
    )

    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert f'<p class="error" id="body_template-error">{TOO_LONG}</p>' in html
    assert count(db, ChangeRequest) == 0
    assert approved_letter(db, campaign) == (SUBJECT, BODY)

    at_limit = letter_of(LIMIT)
    accepted = post_form(
        team.organizer.browser, revise, subject_template="Suspend the permits", body_template=at_limit
    )

    assert accepted.status_code == 303  # the owner's second factor is fresh: applied at once
    assert approved_letter(db, campaign) == ("Suspend the permits", at_limit)


def test_a_translated_letter_over_the_whole_letter_limit_is_refused_and_at_it_kept(db, team, make_campaign):
    campaign = editable_letter_campaign(db, make_campaign, team)
    page = f"/organize/campaigns/{campaign.id}/translations/fr"
    words = {"title": "Reconnaître l'Artsakh", "summary": "Signez.", "body_markdown": "", "share_text": ""}

    refused = post_form(
        team.organizer.browser,
        page,
        **words,
        letter_subject="Suspendez les permis",
        letter_body=letter_of(LIMIT + 1),
    )

    assert refused.status_code == 400
    assert f'<p class="error" id="letter_body-error">{TOO_LONG}</p>' in refused.get_data(as_text=True)
    assert count(db, ChangeRequest) == count(db, CampaignTranslation) == 0

    at_limit = letter_of(LIMIT)
    accepted = post_form(
        team.organizer.browser, page, **words, letter_subject="Suspendez les permis", letter_body=at_limit
    )

    assert accepted.status_code == 303
    db.session.expire_all()
    [french] = db.session.execute(select(CampaignTranslation)).scalars().all()
    assert (french.language, french.letter_body) == ("fr", at_limit)


def test_a_letter_kept_from_before_the_limit_is_not_applied_on_approval(db, team, make_campaign):
    campaign = editable_letter_campaign(db, make_campaign, team)
    kept = ChangeRequest(
        campaign_id=campaign.id,
        kind=ChangeKind.LETTER,
        status=ChangeStatus.PENDING,
        review_by=ChangeReview.OWNER,
        pending_key=str(ChangeKind.LETTER),
        payload={"subject_template": "Suspend the permits", "body_template": letter_of(LIMIT + 1)},
        proposed_by_id=team.organizer.user.id,
        created_at=clock.now(),
    )
    db.session.add(kept)
    db.session.commit()
    change_page = f"/organize/campaigns/{campaign.id}/changes/{kept.id}"

    refused = post_form(team.organizer.browser, change_page, f"{change_page}/approve")

    assert refused.status_code == 409 and TOO_LONG in refused.get_data(as_text=True)
    assert approved_letter(db, campaign) == (SUBJECT, BODY)
    assert db.session.get_one(ChangeRequest, kept.id).status == ChangeStatus.PENDING


@pytest.fixture
def member(app: Any, db: Any, team: Team) -> Person:
    """A member (not an owner) of the organizer's organization, whose changes staff approve."""
    return staff_reviewed_member(app, db, team)


def test_staff_reviewing_an_outcome_see_how_many_signers_approving_it_emails(db, team, member, make_campaign):
    campaign = make_campaign(organization_id=team.organization.id)
    add_signer(db, campaign, "anahit@example.org")
    add_signer(db, campaign, "vardan@example.org", opt_in=False)
    add_signer(db, campaign, "narek@example.org", status=SignatureStatus.PENDING)
    page = f"/organize/campaigns/{campaign.id}"
    fields = {"kind": "victory", "text": "Parliament recognized Artsakh."}
    confirm = post_form(member.browser, page, f"{page}/outcome", **fields).get_data(as_text=True)
    assert "Once it is approved, it will email 1 signer who asked for news of this campaign." in confirm

    proposed = post_form(member.browser, page, f"{page}/outcome", **fields, confirmed="yes")

    assert proposed.status_code == 303
    change = the_change(db, ChangeKind.OUTCOME)
    assert (change.status, change.review_by) == (ChangeStatus.PENDING, ChangeReview.STAFF)
    staff_page = f"/staff/moderation/changes/{change.id}"
    shown = team.staff.browser.get(staff_page).get_data(as_text=True)
    assert "Approving it publishes the outcome and emails it to 1 signer who asked for news." in shown
    assert "Approve: it takes effect now" in shown
    # The count is the one at review time: signers who opted in since are counted.
    add_signer(db, campaign, "lilit@example.org")
    add_signer(db, campaign, "aram@example.org")
    shown = team.staff.browser.get(staff_page).get_data(as_text=True)
    assert "Approving it publishes the outcome and emails it to 3 signers who asked for news." in shown
    # Other changes email nobody: no count is shown.
    closing = post_form(member.browser, page, f"{page}/close")
    assert closing.status_code == 303
    close = the_change(db, ChangeKind.CLOSE)
    closing_page = team.staff.browser.get(f"/staff/moderation/changes/{close.id}").get_data(as_text=True)
    assert "Approving it publishes the outcome" not in closing_page
