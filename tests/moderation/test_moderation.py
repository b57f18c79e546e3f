"""Staff review: approve opens a campaign, reject emails the reason, take down hides it; all audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from campaign import clock
from campaign.audit.models import AuditEvent
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.mail.models import OutboxMessage
from tests.support.builder import draft_of, open_campaign, press
from tests.support.forms import csrf_token


def _actions(db, campaign):
    """The audit log's actions about a campaign, in order."""
    return [
        (event.actor, event.action)
        for event in db.session.execute(
            select(AuditEvent).where(AuditEvent.subject == f"campaign:{campaign.id}").order_by(AuditEvent.id)
        ).scalars()
    ]


def test_a_submitted_petition_waits_for_staff_then_opens_on_the_home_page(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    assert team.visitor.get(f"/campaigns/{campaign.slug}").status_code == 404
    page = f"/organize/campaigns/{campaign.id}"
    assert press(team.organizer, page, f"{page}/submit").status_code == 303

    queue = team.staff.browser.get("/staff/moderation/").get_data(as_text=True)
    assert "Recognize the Republic of Artsakh" in queue
    assert team.visitor.get(f"/campaigns/{campaign.slug}").status_code == 404

    review = f"/staff/moderation/{campaign.id}"
    assert "Parliament should <strong>recognize</strong> Artsakh." in team.staff.browser.get(review).get_data(
        as_text=True
    )
    assert press(team.staff, review, f"{review}/approve").status_code == 303

    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.OPEN
    assert f'href="/campaigns/{campaign.slug}"' in team.visitor.get("/").get_data(as_text=True)
    assert team.visitor.get(f"/campaigns/{campaign.slug}").status_code == 200
    assert _actions(db, campaign) == [
        (f"user:{team.organizer.user.id}", "campaign.created"),
        (f"user:{team.organizer.user.id}", "campaign.submitted"),
        (f"user:{team.staff.user.id}", "campaign.approved"),
    ]


@pytest.mark.usefixtures("celery_worker")
def test_rejecting_returns_the_draft_and_emails_the_reason_to_who_submitted_it(db, team, mailbox):
    campaign = draft_of(db, team.organizer, team.organization)
    page = f"/organize/campaigns/{campaign.id}"
    press(team.organizer, page, f"{page}/submit")
    review = f"/staff/moderation/{campaign.id}"

    answer = press(team.admin, review, f"{review}/reject", reason="Please cite a source for the figures.")

    assert answer.status_code == 303
    db.session.expire_all()
    found = db.session.get(Campaign, campaign.id)
    assert found.status == CampaignStatus.DRAFT
    assert found.rejection_reason == "Please cite a source for the figures."
    assert db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "campaign_rejected")
    ).scalar_one()
    # The worker sends it at once (and clears the row): read what was sent.
    [message] = mailbox.wait_for("ani@example.org")
    assert message["To"] == "ani@example.org"
    assert message["Subject"] == "Your campaign needs changes: Recognize the Republic of Artsakh"
    body = message.get_content()
    assert "Please cite a source for the figures." in body
    assert f"http://localhost/organize/campaigns/{campaign.id}" in body
    assert "Please cite a source" in team.organizer.browser.get(page).get_data(as_text=True)
    assert _actions(db, campaign)[-1] == (f"user:{team.admin.user.id}", "campaign.rejected")


@pytest.mark.usefixtures("celery_worker")
def test_the_rejection_is_written_in_the_campaigns_language_not_the_reviewers(db, team, mailbox):
    campaign = draft_of(db, team.organizer, team.organization)
    campaign.language = "fr"
    db.session.commit()
    page = f"/organize/campaigns/{campaign.id}"
    press(team.organizer, page, f"{page}/submit")
    review = f"/staff/moderation/{campaign.id}"

    assert press(team.admin, review, f"{review}/reject", reason="Citez vos sources.").status_code == 303

    [message] = mailbox.wait_for("ani@example.org")
    assert message["Subject"].startswith("Votre campagne doit être modifiée")
    assert "Citez vos sources." in message.get_content()
    # The organizer edits and submits again.
    assert press(team.organizer, page, f"{page}/submit").status_code == 303


def test_a_rejection_needs_a_reason_and_changes_nothing_without_one(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    page = f"/organize/campaigns/{campaign.id}"
    press(team.organizer, page, f"{page}/submit")
    review = f"/staff/moderation/{campaign.id}"

    answer = press(team.staff, review, f"{review}/reject", reason="")

    assert answer.status_code == 400
    assert "Please give the reason." in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.IN_REVIEW
    assert db.session.execute(select(OutboxMessage)).first() is None


def test_taking_down_hides_the_page_the_count_the_list_and_the_sign_form(db, team):
    campaign = open_campaign(db, team)
    slug = campaign.slug
    page = team.visitor.get(f"/campaigns/{slug}")
    assert page.status_code == 200
    review = f"/staff/moderation/{campaign.id}"

    answer = press(team.staff, review, f"{review}/take-down", reason="Incites hatred against a group.")

    assert answer.status_code == 303
    db.session.expire_all()
    found = db.session.get(Campaign, campaign.id)
    assert found.status == CampaignStatus.TAKEN_DOWN
    assert found.takedown_reason == "Incites hatred against a group."
    assert team.visitor.get(f"/campaigns/{slug}").status_code == 404
    assert team.visitor.get(f"/campaigns/{slug}/count.json").status_code == 404
    assert f"/campaigns/{slug}" not in team.visitor.get("/").get_data(as_text=True)
    signed = team.visitor.post(
        f"/campaigns/{slug}/sign",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "given_name": "Anahit",
            "family_name": "Petrosyan",
            "email": "anahit@example.org",
            "country": "AM",
            "postal_code": "0010",
        },
    )
    assert signed.status_code == 404
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "campaign.taken_down")
    ).scalar_one()
    assert event.details == {"reason": "Incites hatred against a group."}
    assert "Taken down" in team.organizer.browser.get(f"/organize/campaigns/{campaign.id}").get_data(
        as_text=True
    )


def test_decisions_out_of_turn_are_refused_and_change_nothing(db, team):
    draft = draft_of(db, team.organizer, team.organization)
    page = f"/organize/campaigns/{draft.id}"
    press(team.organizer, page, f"{page}/submit")
    review = f"/staff/moderation/{draft.id}"
    # Staff opened the review page; meanwhile an admin rejected the campaign.
    token = csrf_token(team.staff.browser.get(review).get_data(as_text=True))
    press(team.admin, review, f"{review}/reject", reason="Please cite a source for the figures.")
    before = _actions(db, draft)

    approved = team.staff.browser.post(f"{review}/approve", data={"csrf_token": token})
    taken_down = team.staff.browser.post(
        f"{review}/take-down", data={"csrf_token": token, "reason": "Not public, so nothing to hide"}
    )

    assert approved.status_code == 409 and "Only a campaign in review can be approved." in approved.get_data(
        as_text=True
    )
    assert taken_down.status_code == 409
    db.session.expire_all()
    assert db.session.get(Campaign, draft.id).status == CampaignStatus.DRAFT
    assert _actions(db, draft) == before


def test_a_tampered_csrf_token_is_refused(db, team):
    draft = draft_of(db, team.organizer, team.organization)
    page = f"/organize/campaigns/{draft.id}"
    press(team.organizer, page, f"{page}/submit")
    answer = team.staff.browser.post(f"/staff/moderation/{draft.id}/approve", data={"csrf_token": "forged"})
    assert answer.status_code == 400
    db.session.expire_all()
    assert db.session.get(Campaign, draft.id).status == CampaignStatus.IN_REVIEW


def test_a_campaign_whose_deadline_passed_in_review_cannot_be_approved(db, team):
    draft = draft_of(db, team.organizer, team.organization)
    page = f"/organize/campaigns/{draft.id}"
    press(team.organizer, page, f"{page}/submit")
    draft.closes_at = clock.now() - timedelta(minutes=1)
    db.session.commit()
    review = f"/staff/moderation/{draft.id}"

    answer = press(team.staff, review, f"{review}/approve")

    assert answer.status_code == 409 and "Its deadline has passed" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, draft.id).status == CampaignStatus.IN_REVIEW


def test_taking_down_a_letter_campaign_stops_the_letters_still_waiting(db, team):
    from campaign.campaigns.models import CampaignKind
    from campaign.mail.models import OutboxStatus
    from campaign.targets.models import Letter, Official
    from tests.support.signers import add_signature

    campaign = open_campaign(db, team, kind=CampaignKind.LETTER)
    official = Official(name="A Minister", title="Minister", body="", country="CA", email="m@example.org")
    db.session.add(official)
    db.session.flush()
    signature = add_signature(db, campaign.id, "w@example.org", given_name="W", family_name="X")
    letter = Letter(campaign_id=campaign.id, signature_id=signature.id, official_id=official.id)
    db.session.add(letter)
    db.session.flush()
    # Owed by reference, as a letter waiting for the official's next slot is.
    waiting = OutboxMessage(
        kind="letter",
        dedupe_key="letter:waiting",
        ref_id=letter.id,
        message_id="<w@example.org>",
        next_attempt_at=clock.now() + timedelta(hours=1),
    )
    db.session.add(waiting)
    db.session.flush()
    letter.outbox_id = waiting.id
    db.session.commit()
    review = f"/staff/moderation/{campaign.id}"

    assert (
        press(team.staff, review, f"{review}/take-down", reason="Impersonates a ministry.").status_code == 303
    )

    db.session.expire_all()
    stopped = db.session.get(OutboxMessage, waiting.id)
    assert stopped.status == OutboxStatus.FAILED
    assert stopped.last_error == "not sent: the campaign was taken down"
