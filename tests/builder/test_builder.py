"""Organizers write a campaign: a draft with a slug from its title, a sanitized preview, submit for review."""

from __future__ import annotations

from sqlalchemy import func, select

from campaign import clock
from campaign.campaigns.models import Campaign, CampaignKind, CampaignStatus
from campaign.targets.models import LetterCampaign, Targeting
from tests.support.builder import campaign_id_of, draft_of, new_campaign, press
from tests.support.forms import csrf_token, post_form


def test_a_new_campaign_is_a_draft_of_its_organization_with_a_slug_from_its_title(db, team):
    first = draft_of(db, team.organizer, team.organization, title="Recognize Artsakh: now!")
    second = draft_of(db, team.organizer, team.organization, title="Recognize Artsakh: now!")

    assert first.slug == "recognize-artsakh-now"
    assert second.slug.startswith("recognize-artsakh-now-") and second.slug != first.slug
    assert first.status == CampaignStatus.DRAFT
    assert first.organization_id == team.organization.id
    assert first.share_text == "I signed: recognize Artsakh now."
    listing = team.organizer.browser.get("/organize/").get_data(as_text=True)
    assert listing.count("Recognize Artsakh: now!") == 2 and "Draft" in listing


def test_a_letter_campaign_starts_with_letter_settings_routed_to_the_signers_officials(db, team):
    campaign = draft_of(db, team.organizer, team.organization, kind="letter", title="Suspend arms exports")

    settings = db.session.get(LetterCampaign, campaign.id)
    assert campaign.kind == CampaignKind.LETTER
    assert settings.targeting == Targeting.ROUTED and settings.subject_template == "Suspend arms exports"
    page = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}").get_data(as_text=True)
    assert f"/organize/campaigns/{campaign.id}/letters" in page


def test_an_organizer_cannot_create_a_campaign_for_another_organization(db, team):
    answer = new_campaign(team.organizer, team.other_organization)
    assert answer.status_code == 400
    assert db.session.execute(select(func.count()).select_from(Campaign)).scalar_one() == 0


def test_bad_input_is_refused_with_its_reason_and_nothing_is_stored(db, team):
    answer = new_campaign(team.organizer, team.organization, title="", goal="-5", closes_on="2001-01-01")
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Please give the campaign a title." in text and "Please choose a day after today." in text
    tampered = team.organizer.browser.post(
        "/organize/campaigns/new",
        data={
            "csrf_token": "forged",
            "organization_id": team.organization.id,
            "kind": "petition",
            "title": "T",
            "summary": "S",
            "goal": "5",
            "language": "en",
        },
    )
    assert tampered.status_code == 400
    unknown_kind = new_campaign(team.organizer, team.organization, kind="poll")
    assert unknown_kind.status_code == 400
    assert db.session.execute(select(func.count()).select_from(Campaign)).scalar_one() == 0


def test_preview_renders_sanitized_markdown_without_saving(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    edit = f"/organize/campaigns/{campaign.id}/edit"
    body = "## Why\n\n<script>alert(1)</script> [click](javascript:alert(1)) and **bold**"

    answer = post_form(
        team.organizer.browser,
        edit,
        title="Changed",
        summary="S",
        body_markdown=body,
        goal="500",
        language="en",
        preview="Preview",
    )

    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "<h2>Why</h2>" in html and "<strong>bold</strong>" in html
    assert "<script>alert(1)</script>" not in html and 'href="javascript' not in html
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).title == "Recognize the Republic of Artsakh"


def test_editing_a_draft_saves_it_and_the_slug_can_change_while_it_is_a_draft(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    taken = draft_of(db, team.organizer, team.organization, title="Taken")
    edit = f"/organize/campaigns/{campaign.id}/edit"
    year = clock.now().year + 2  # a deadline within the five years a campaign may run
    fields = {
        "title": "Recognize Artsakh",
        "summary": "Now.",
        "body_markdown": "Հայաստան " * 2200,
        "goal": "1000",
        "language": "hy",
        "closes_on": f"{year}-12-31",
        "save": "Save",
    }

    clash = post_form(team.organizer.browser, edit, slug=taken.slug, **fields)
    saved = post_form(team.organizer.browser, edit, slug="artsakh", **fields)

    assert clash.status_code == 409 and "Another campaign already has this address." in clash.get_data(
        as_text=True
    )
    assert saved.status_code == 303
    db.session.expire_all()
    found = db.session.get(Campaign, campaign.id)
    assert (found.slug, found.title, found.goal, found.language) == (
        "artsakh",
        "Recognize Artsakh",
        1000,
        "hy",
    )
    assert found.closes_at.isoformat() == f"{year + 1}-01-01T00:00:00"
    assert f'value="{year}-12-31"' in team.organizer.browser.get(edit).get_data(as_text=True)


def test_a_submitted_campaign_can_no_longer_be_edited_or_submitted_again(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    page = f"/organize/campaigns/{campaign.id}"
    token = csrf_token(team.organizer.browser.get(page).get_data(as_text=True))
    assert team.organizer.browser.post(f"{page}/submit", data={"csrf_token": token}).status_code == 303
    assert "Submitted for review" in team.organizer.browser.get(page).get_data(as_text=True)

    edit = team.organizer.browser.get(f"{page}/edit")
    again = team.organizer.browser.post(f"{page}/submit", data={"csrf_token": token})

    assert edit.status_code == 409 and again.status_code == 409
    db.session.expire_all()
    found = db.session.get(Campaign, campaign.id)
    assert found.status == CampaignStatus.IN_REVIEW and found.submitted_by_id == team.organizer.user.id


def test_a_draft_without_text_cannot_be_submitted(db, team):
    campaign = draft_of(db, team.organizer, team.organization, body_markdown="")
    page = f"/organize/campaigns/{campaign.id}"
    answer = press(team.organizer, page, f"{page}/submit")
    assert answer.status_code == 409 and "write the campaign" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.DRAFT


def test_a_user_without_an_organization_is_asked_to_start_one(app, db):
    from campaign.accounts.models import Role
    from tests.support.people import signed_in

    browser, _ = signed_in(app, db, "solo@example.org", Role.ORGANIZER, two_factor=False)
    page = browser.get("/organize/campaigns/new").get_data(as_text=True)
    assert "First, your organization" in page and "Create the organization and go on" in page


def test_campaign_id_of_reads_the_redirect(db, team):
    answer = new_campaign(team.organizer, team.organization)
    # A new draft lands on its overview, where every step before review is listed.
    assert answer.headers["Location"].endswith(f"/organize/campaigns/{campaign_id_of(answer)}")
    overview = team.organizer.browser.get(answer.headers["Location"]).get_data(as_text=True)
    assert "The draft is saved. Here is every step before you submit it for review." in overview
    assert 'id="draft-steps-heading"' in overview
