"""Letters of a letter campaign in the builder: templates with known placeholders, officials to write to."""

from __future__ import annotations

from sqlalchemy import select

from campaign.targets.models import LetterCampaign, LetterTarget, Official, Targeting
from tests.support.builder import draft_of
from tests.support.forms import post_form


def _officials(db):
    """Two officials in the directory."""
    found = [
        Official(name="Minister A", title="Minister of Foreign Affairs", country="FR", email="a@example.org"),
        Official(
            name="Deputy B",
            title="Member of Parliament",
            country="FR",
            region="FR-IDF",
            email="b@example.org",
        ),
    ]
    db.session.add_all(found)
    db.session.commit()
    return found


def test_an_organizer_writes_the_letter_and_chooses_the_officials(db, team):
    minister, _deputy = _officials(db)
    campaign = draft_of(db, team.organizer, team.organization, kind="letter", title="Suspend arms exports")
    path = f"/organize/campaigns/{campaign.id}/letter"
    assert "Minister A, Minister of Foreign Affairs (France)" in team.organizer.browser.get(path).get_data(
        as_text=True
    )

    answer = post_form(
        team.organizer.browser,
        path,
        subject_template="Please suspend arms exports",
        body_template="Dear $official_name,\n\n$message\n\n$name, $place",
        is_signer_editable="y",
        targeting="fixed",
        official_ids=[str(minister.id)],
    )

    assert answer.status_code == 303
    db.session.expire_all()
    settings = db.session.get(LetterCampaign, campaign.id)
    assert (
        settings.targeting == Targeting.FIXED and settings.subject_template == "Please suspend arms exports"
    )
    targets = db.session.execute(
        select(LetterTarget.official_id).where(LetterTarget.campaign_id == campaign.id)
    )
    assert list(targets.scalars()) == [minister.id]


def test_unknown_placeholders_foreign_officials_and_an_empty_fixed_list_are_refused(db, team):
    (minister, _) = _officials(db)
    campaign = draft_of(db, team.organizer, team.organization, kind="letter")
    path = f"/organize/campaigns/{campaign.id}/letter"
    base = {"subject_template": "Subject", "body_template": "Dear $official_name", "targeting": "fixed"}

    unknown = post_form(
        team.organizer.browser,
        path,
        **{**base, "body_template": "Hi ${secret_key}"},
        official_ids=[str(minister.id)],
    )
    foreign = post_form(team.organizer.browser, path, **base, official_ids=["999999"])
    empty = post_form(team.organizer.browser, path, **base)

    assert unknown.status_code == 400 and "Unknown placeholders: $secret_key." in unknown.get_data(
        as_text=True
    )
    assert foreign.status_code == 400
    assert empty.status_code == 400 and "choose at least one official" in empty.get_data(as_text=True)
    db.session.expire_all()
    settings = db.session.get(LetterCampaign, campaign.id)
    assert settings.targeting == Targeting.ROUTED and settings.subject_template == campaign.title


def test_a_petition_has_no_letters_page(db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    assert team.organizer.browser.get(f"/organize/campaigns/{campaign.id}/letter").status_code == 404
