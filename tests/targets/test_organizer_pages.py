"""The pages of people who run letter campaigns: delivery per official, and letters held for review."""

from sqlalchemy import select

from campaign.accounts.models import Role
from campaign.accounts.organizations import create_organization
from campaign.audit.models import AuditEvent
from campaign.targets.models import Letter
from tests.support.forms import csrf_token
from tests.support.people import signed_in


def letter_for(db, campaign, official, signature, **values):
    """A letter row as confirmation writes it (no text: it is written from the sealed signature when sent)."""
    letter = Letter(
        campaign_id=campaign.id,
        signature_id=signature.id,
        official_id=official.id,
        message_hash=signature.message_hash,
        **values,
    )
    db.session.add(letter)
    db.session.commit()
    return letter


def test_organizers_see_their_letters_by_official_and_no_one_elses(
    app, db, officials, make_letter_campaign, make_signature
):
    owner, owner_user = signed_in(app, db, "owner@example.org", Role.ORGANIZER)  # owners use two-factor
    outsider, outsider_user = signed_in(app, db, "outsider@example.org", Role.ORGANIZER)
    ours = create_organization("Ours", owner_user)
    create_organization("Theirs", outsider_user)
    letters = make_letter_campaign()
    campaign = letters.campaign
    campaign.organization_id = ours.id
    signature = make_signature(campaign.id, "writer@example.org")
    official = officials["ca-on"]
    letter_for(db, campaign, official, signature, is_held=True)

    page = owner.get(f"/organize/campaigns/{campaign.id}/letters")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert official.name in text and '<th scope="col">Held</th>' in text
    assert outsider.get(f"/organize/campaigns/{campaign.id}/letters").status_code == 404
    assert app.test_client().get(f"/organize/campaigns/{campaign.id}/letters").status_code == 302
    staff, _ = signed_in(app, db, "staff@example.org", Role.STAFF)
    assert staff.get(f"/organize/campaigns/{campaign.id}/letters").status_code == 200
    assert owner.get("/organize/campaigns/999999/letters").status_code == 404


def test_staff_release_a_held_letter_and_the_decision_is_audited(
    app, db, officials, make_letter_campaign, make_signature
):
    letters = make_letter_campaign()
    signature = make_signature(letters.campaign_id, "writer@example.org", message="My own words")
    letter = letter_for(db, letters.campaign, officials["ca-on"], signature, is_held=True)
    organizer, _ = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, two_factor=False)
    assert organizer.get("/staff/letters/held").status_code == 403
    staff, staff_user = signed_in(app, db, "staff@example.org", Role.STAFF)

    listed = staff.get("/staff/letters/held").get_data(as_text=True)
    # Staff see who wrote it by initials and why it was held; the words themselves stay sealed.
    assert "A. P. (CA)" in listed and officials["ca-on"].name in listed
    assert "a paragraph shared with many other writers" in listed
    assert "My own words" not in listed
    token = csrf_token(listed)
    released = staff.post(f"/staff/letters/{letter.id}/release", data={"csrf_token": token})
    assert released.status_code == 303
    db.session.expire_all()
    assert db.session.get(Letter, letter.id).is_held is False
    assert db.session.get(Letter, letter.id).outbox_id is not None
    [event] = db.session.execute(select(AuditEvent)).scalars().all()
    assert (event.actor, event.action) == (f"user:{staff_user.id}", "letter.released")
    again = staff.post(f"/staff/letters/{letter.id}/release", data={"csrf_token": token})
    assert again.status_code == 404
