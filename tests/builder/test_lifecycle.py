"""A campaign's life after approval: closed by deadline or by hand, and an outcome published on its page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from campaign import clock
from campaign.audit.models import AuditEvent
from campaign.builder import lifecycle
from campaign.campaigns.models import Campaign, CampaignStatus, OutcomeKind
from tests.support.builder import draft_of, open_campaign, press
from tests.support.forms import csrf_token


def test_closing_by_hand_keeps_the_page_and_stops_signatures(db, team):
    campaign = open_campaign(db, team)
    open_page = team.visitor.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "Sign this petition" in open_page
    page = f"/organize/campaigns/{campaign.id}"

    # The campaign's page leads to a step that says what closing does, and changes nothing itself.
    assert f'href="{page}/close"' in team.organizer.browser.get(page).get_data(as_text=True)
    step = team.organizer.browser.get(f"{page}/close")
    assert step.status_code == 200
    said = step.get_data(as_text=True)
    assert "It will take no more signatures, and cannot be opened again." in said
    assert f'action="{page}/close"' in said and "Yes, close it now" in said
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.OPEN
    assert press(team.organizer, f"{page}/close", f"{page}/close").status_code == 303

    db.session.expire_all()
    found = db.session.get(Campaign, campaign.id)
    assert found.status == CampaignStatus.CLOSED and found.closed_at is not None
    public = team.visitor.get(f"/campaigns/{campaign.slug}").get_data(as_text=True)
    assert "This campaign is closed and no longer takes signatures." in public
    late = team.visitor.post(
        f"/campaigns/{campaign.slug}/sign",
        data={
            "csrf_token": csrf_token(open_page),
            "given_name": "Anahit",
            "family_name": "Petrosyan",
            "email": "anahit@example.org",
            "country": "AM",
            "postal_code": "0010",
        },
    )
    assert late.status_code == 409
    assert press(team.organizer, page, f"{page}/close").status_code == 409


def test_a_campaign_past_its_deadline_is_closed(db, team):
    campaign = open_campaign(db, team)
    campaign.closes_at = clock.now() - timedelta(seconds=1)
    db.session.commit()
    assert lifecycle.stage_of(campaign) == lifecycle.Stage.CLOSED
    assert "Closed" in team.organizer.browser.get(f"/organize/campaigns/{campaign.id}").get_data(as_text=True)


def test_an_outcome_is_published_on_the_cached_page_at_once(db, team):
    campaign = open_campaign(db, team)
    public_path = f"/campaigns/{campaign.slug}"
    assert "Victory" not in team.visitor.get(public_path).get_data(as_text=True)  # now cached
    page = f"/organize/campaigns/{campaign.id}"

    answer = press(
        team.organizer,
        page,
        f"{page}/outcome",
        kind="victory",
        text="Parliament **recognized** Artsakh.",
        confirmed="yes",
    )

    assert answer.status_code == 303
    html = team.visitor.get(public_path).get_data(as_text=True)
    assert "Victory" in html and "Parliament <strong>recognized</strong> Artsakh." in html
    db.session.expire_all()
    outcome = lifecycle.outcome_of(db.session.get(Campaign, campaign.id))
    assert outcome is not None and outcome.kind == OutcomeKind.VICTORY and outcome.is_victory
    assert outcome.text_markdown == "Parliament **recognized** Artsakh."
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "campaign.outcome_published")
    ).scalar_one()
    assert event.details == {"kind": "victory"}


def test_an_outcome_needs_a_public_campaign_and_a_known_kind(db, team):
    campaign = open_campaign(db, team)
    page = f"/organize/campaigns/{campaign.id}"
    unknown = press(team.organizer, page, f"{page}/outcome", kind="defeat", text="Lost.")
    empty = press(team.organizer, page, f"{page}/outcome", kind="response", text="")
    assert unknown.status_code == 400 and empty.status_code == 400
    db.session.expire_all()
    assert lifecycle.outcome_of(db.session.get(Campaign, campaign.id)) is None


def test_an_outcome_cannot_be_published_on_a_draft(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    page = f"/organize/campaigns/{campaign.id}"
    token_page = team.organizer.browser.get(page).get_data(as_text=True)
    answer = team.organizer.browser.post(
        f"{page}/outcome", data={"csrf_token": csrf_token(token_page), "kind": "response", "text": "Replied."}
    )
    assert answer.status_code == 409
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).outcome_kind is None


def test_the_first_outcome_is_announced_to_signers_and_a_correction_is_not(db, team):
    from campaign.updates.models import Update

    campaign = open_campaign(db, team)
    page = f"/organize/campaigns/{campaign.id}"
    press(
        team.organizer,
        page,
        f"{page}/outcome",
        kind="victory",
        text="Parliament recognized Artsakh.",
        confirmed="yes",
    )
    press(team.organizer, page, f"{page}/outcome", kind="victory", text="Parliament recognized the Republic.")
    [announcement] = db.session.execute(select(Update)).scalars().all()
    assert announcement.campaign_id == campaign.id
    assert "Parliament recognized Artsakh." in announcement.body_markdown
