"""The builder's settings beyond the words: delivery, the letter's text, the contact email, the image's
alt text, the outcome's email, and the letter as staff review it."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from campaign import clock
from campaign.audit.models import AuditEvent
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.mail.models import OutboxMessage
from campaign.signing.models import SignatureStatus
from campaign.targets import digests
from campaign.targets import service as targets
from campaign.targets.models import DeliveryMode, LetterCampaign, Official
from campaign.updates.models import Update
from tests.support.builder import draft_of, open_campaign, press
from tests.support.forms import csrf_token, post_form
from tests.support.images import image_bytes
from tests.support.signers import add_signature

LETTER = {
    "subject_template": "Please suspend arms exports",
    "body_template": "Dear $official_name,\n\nPlease suspend the permits.\n\n$message\n\n$name, $place",
    "targeting": "fixed",
}
NOT_WRITTEN = "Please write the letter to officials before submitting the campaign."


def _letter_draft(db: Any, team: Any, **fields: Any) -> tuple[Campaign, Any, list[str]]:
    """A letter campaign written in the builder to one minister: the draft, the answer to saving its
    letter, and the letter form's fields as saved."""
    minister = Official(
        name="Claire Martin", title="Minister for Europe", country="FR", email="cm@example.org"
    )
    db.session.add(minister)
    db.session.commit()
    campaign = draft_of(db, team.organizer, team.organization, kind="letter", title="Suspend arms exports")
    letter = {**LETTER, "official_ids": [str(minister.id)], **fields}
    answer = post_form(team.organizer.browser, f"/organize/campaigns/{campaign.id}/letter", **letter)
    return campaign, answer, letter


def _audited(db: Any, action: str) -> list[AuditEvent]:
    """The audit events of one kind."""
    db.session.expire_all()
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def _upload(person: Any, campaign: Campaign, **fields: Any) -> Any:
    """Upload an image through the campaign's page in the builder."""
    page = f"/organize/campaigns/{campaign.id}"
    token = csrf_token(person.browser.get(page).get_data(as_text=True))
    return person.browser.post(
        f"{page}/image",
        data={"csrf_token": token, "image": (io.BytesIO(image_bytes()), "a.jpg"), **fields},
        content_type="multipart/form-data",
    )


def test_an_organizer_chooses_a_daily_digest_at_an_hour_and_it_leaves_then(app, db, team):
    campaign, answer, letter = _letter_draft(db, team, delivery="digest", digest_hour="7")
    assert answer.status_code == 303, answer.get_data(as_text=True)
    db.session.expire_all()
    settings = db.session.get(LetterCampaign, campaign.id)
    assert settings.delivery == DeliveryMode.DIGEST and settings.window_start_hour == 7
    form_page = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}/letter").get_data(as_text=True)
    assert '<option selected value="digest">' in form_page and '<option selected value="7">' in form_page
    shown = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}").get_data(as_text=True)
    assert "A daily digest to each official, leaving at 07:00 UTC" in shown

    signature = add_signature(db, campaign.id, "writer@example.org", country="FR", region=None)
    day = (clock.now() - timedelta(days=1)).replace(hour=0, minute=30, second=0, microsecond=0)
    with app.test_request_context():
        targets.write_letters(signature.id, day)
        db.session.commit()
        assert digests.send_digests(day.replace(hour=6)) == 0  # before its hour: nothing
        assert digests.send_digests(day.replace(hour=7)) == 1
    assert db.session.execute(select(OutboxMessage.kind)).scalars().all() == ["letter-digest"]

    # Back to paced letters, which may leave at any hour again.
    path = f"/organize/campaigns/{campaign.id}/letter"
    assert post_form(team.organizer.browser, path, **{**letter, "delivery": "individual"}).status_code == 303
    db.session.expire_all()
    settings = db.session.get(LetterCampaign, campaign.id)
    assert settings.delivery == DeliveryMode.INDIVIDUAL
    assert (settings.window_start_hour, settings.window_end_hour) == (0, 24)


def test_a_letter_campaign_is_submitted_only_once_its_letter_is_written(db, team):
    campaign = draft_of(db, team.organizer, team.organization, kind="letter", title="Suspend arms exports")
    page = f"/organize/campaigns/{campaign.id}"
    assert NOT_WRITTEN in team.organizer.browser.get(page).get_data(as_text=True)

    refused = press(team.organizer, page, f"{page}/submit")

    assert refused.status_code == 409 and NOT_WRITTEN in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.DRAFT
    assert _audited(db, "campaign.submitted") == []
    path = f"{page}/letter"
    empty = post_form(
        team.organizer.browser, path, **{**LETTER, "body_template": "  ", "targeting": "routed"}
    )
    assert empty.status_code == 400 and "Please write the letter." in empty.get_data(as_text=True)
    assert post_form(team.organizer.browser, path, **{**LETTER, "targeting": "routed"}).status_code == 303
    assert press(team.organizer, page, f"{page}/submit").status_code == 303
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == CampaignStatus.IN_REVIEW


def test_the_whole_letter_switch_is_saved_and_refused_for_a_letter_too_long_to_edit(db, team):
    campaign, answer, letter = _letter_draft(db, team, signers_may_edit_letter="y")
    assert answer.status_code == 303
    db.session.expire_all()
    assert db.session.get(LetterCampaign, campaign.id).signers_may_edit_letter
    shown = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}").get_data(as_text=True)
    assert "may edit the whole letter before sending it" in shown

    too_long = {**letter, "body_template": "Dear $official_name,\n\n" + "Please act. " * 500}
    refused = post_form(team.organizer.browser, f"/organize/campaigns/{campaign.id}/letter", **too_long)
    assert refused.status_code == 400
    assert "A letter signers edit can have at most 5,000 characters" in refused.get_data(as_text=True)


def test_a_new_campaign_writes_to_its_creator_until_the_organizer_changes_the_address(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    assert campaign.contact_email == "ani@example.org"
    page = f"/organize/campaigns/{campaign.id}"
    assert 'value="ani@example.org"' in team.organizer.browser.get(page).get_data(as_text=True)

    wrong = press(team.organizer, page, f"{page}/contact", contact_email="not an address")
    assert wrong.status_code == 400 and "Please check the email address" in wrong.get_data(as_text=True)
    changed = press(team.organizer, page, f"{page}/contact", contact_email="campaigns@artsakh.example.org")

    assert changed.status_code == 303
    after = team.organizer.browser.get(page).get_data(as_text=True)
    assert "The campaign&#39;s notices now go to campaigns@artsakh.example.org." in after
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).contact_email == "campaigns@artsakh.example.org"
    [event] = _audited(db, "campaign.contact_changed")
    assert event.subject == f"campaign:{campaign.id}"


def test_an_image_needs_its_alt_text_which_can_be_changed_after_the_upload(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    without = _upload(team.organizer, campaign)
    assert without.status_code == 400
    assert "Please say what the image shows" in without.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).image_name is None

    uploaded = _upload(team.organizer, campaign, image_alt="Volunteers holding a banner")
    assert uploaded.status_code == 303
    page = f"/organize/campaigns/{campaign.id}"
    assert "The image was uploaded." in team.organizer.browser.get(page).get_data(as_text=True)

    emptied = press(team.organizer, page, f"{page}/image/alt", alt_text="")
    assert emptied.status_code == 400
    changed = press(team.organizer, page, f"{page}/image/alt", alt_text="A crowd before the parliament")
    assert changed.status_code == 303
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).image_alt == "A crowd before the parliament"
    assert len(_audited(db, "campaign.image_alt_changed")) == 1
    public = press(team.organizer, page, f"{page}/submit")
    assert public.status_code == 303
    late = press(team.organizer, page, f"{page}/image/alt", alt_text="Something else")
    assert late.status_code == 409


def test_the_first_outcome_says_how_many_signers_it_emails_and_waits_for_confirmation(db, team):
    campaign = open_campaign(db, team)
    for n in range(3):
        add_signature(
            db,
            campaign.id,
            f"s{n}@example.org",
            has_email_opt_in=n < 2,
            validated_at=clock.now() - timedelta(minutes=5),
        )
    add_signature(
        db, campaign.id, "pending@example.org", has_email_opt_in=True, status=SignatureStatus.PENDING
    )
    page = f"/organize/campaigns/{campaign.id}"
    assert "this will email 2 signers" in team.organizer.browser.get(page).get_data(as_text=True)

    asked = press(team.organizer, page, f"{page}/outcome", kind="victory", text="Parliament **voted**.")

    assert asked.status_code == 200
    html = asked.get_data(as_text=True)
    assert "Publishing it will email 2 signers who asked for news of this campaign." in html
    assert "Publish and email 2 signers" in html and "Parliament <strong>voted</strong>." in html
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).outcome_kind is None
    assert db.session.execute(select(Update)).first() is None

    confirmed = post_form(
        team.organizer.browser,
        page,
        f"{page}/outcome",
        kind="victory",
        text="Parliament **voted**.",
        confirmed="yes",
    )
    assert confirmed.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).outcome_kind is not None
    [announcement] = db.session.execute(select(Update)).scalars().all()
    assert "Parliament **voted**." in announcement.body_markdown
    # A correction emails nobody, so it asks nothing.
    assert "this will email" not in team.organizer.browser.get(page).get_data(as_text=True)


def test_staff_review_the_letter_its_officials_and_its_delivery(db, team):
    campaign, _answer, _letter = _letter_draft(
        db, team, delivery="digest", digest_hour="9", signers_may_edit_letter="y"
    )
    page = f"/organize/campaigns/{campaign.id}"
    assert press(team.organizer, page, f"{page}/submit").status_code == 303

    review = team.staff.browser.get(f"/staff/moderation/{campaign.id}").get_data(as_text=True)

    assert "The letter officials will receive" in review
    assert "Please suspend arms exports" in review and "Please suspend the permits." in review
    assert "Claire Martin, Minister for Europe (France)" in review
    assert "A daily digest to each official, leaving at 09:00 UTC" in review
    assert "may edit the whole letter before sending it" in review
    assert "cm@example.org" not in review


def test_the_command_line_turns_the_daily_digest_on_and_off(app, db, team):
    campaign, _answer, _letter = _letter_draft(db, team)
    runner = app.test_cli_runner()

    on = runner.invoke(args=["officials", "delivery", campaign.slug, "--digest-hour", "6"])

    assert on.exit_code == 0 and "a daily digest from 06:00 UTC" in on.output
    db.session.expire_all()
    settings = db.session.get(LetterCampaign, campaign.id)
    assert settings.delivery == DeliveryMode.DIGEST and settings.window_start_hour == 6
    off = runner.invoke(args=["officials", "delivery", campaign.slug])
    assert off.exit_code == 0 and "paced letters" in off.output
    db.session.expire_all()
    assert db.session.get(LetterCampaign, campaign.id).delivery == DeliveryMode.INDIVIDUAL
    assert runner.invoke(args=["officials", "delivery", "nothing"]).exit_code == 1
    assert len(_audited(db, "campaign.delivery_changed")) == 2
