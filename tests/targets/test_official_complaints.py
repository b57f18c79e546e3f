"""An official's office that reports our letters as spam gets no more of them, from any campaign, until
staff lift the pause; every organizer whose letters stopped is told, and sees it on the letters page.
Staff lift a pause, or correct a bad address, with `campaign officials resume`.

Letters leave through the real worker and SMTP server; the complaint is an ARF report, as a
receiver's feedback loop writes it, read from the bounce maildir.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from campaign.accounts.models import Role
from campaign.audit.models import AuditEvent
from campaign.campaigns.models import CampaignKind
from campaign.clock import now
from campaign.mail import bounces
from campaign.mail import sending as mail
from campaign.mail.models import MailSuppression, OutboxMessage, OutboxStatus
from campaign.signing.models import Person, Signature, SignatureStatus
from campaign.signing.service import email_index
from campaign.targets import delivery
from campaign.targets import service as targets
from campaign.targets.bounces import BAD_ADDRESS, COMPLAINED
from campaign.targets.digests import DIGEST_KIND, send_digests
from campaign.targets.models import (
    AddressProblem,
    DeliveryMode,
    Letter,
    LetterCampaign,
    LetterTarget,
    Official,
)
from tests.support.bounces import OFFICIAL, a_letter_sent, complaint, dsn, is_bad, sent
from tests.support.forms import csrf_token
from tests.support.letters import BODY, SUBJECT
from tests.support.people import signed_in
from tests.support.signers import add_signature
from tests.support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("celery_worker")

ORGANIZER = "organizer@example.org"
OTHER_ORGANIZER = "other-organizer@example.org"


def digest_campaign(db: Any, make_campaign: Any, official: Official) -> Any:
    """Another campaign writing to the same official, in French and a daily digest, with its own contact."""
    campaign = make_campaign(
        slug="other",
        title="Suspendez les exportations",
        kind=CampaignKind.LETTER,
        contact_email=OTHER_ORGANIZER,
        language="fr",
    )
    settings = LetterCampaign(
        campaign_id=campaign.id, subject_template=SUBJECT, body_template=BODY, delivery=DeliveryMode.DIGEST
    )
    db.session.add(settings)
    db.session.add(LetterTarget(campaign_id=campaign.id, official_id=official.id))
    db.session.commit()
    return campaign


def write(db: Any, campaign_id: int, email: str) -> int:
    """A signer's letters written (owed at their officials' next slots); how many."""
    signature = add_signature(db, campaign_id, email, message="Please act.")
    written = targets.write_letters(signature.id)
    db.session.commit()
    return written


def state_of_letter(db: Any, signer: str) -> OutboxMessage:
    """The message owed for a signer's letter."""
    db.session.expire_all()
    return db.session.execute(
        select(OutboxMessage)
        .join(Letter, Letter.outbox_id == OutboxMessage.id)
        .join(Signature, Signature.id == Letter.signature_id)
        .join(Person, Person.id == Signature.person_id)
        .where(Person.email_index == email_index(signer))
    ).scalar_one()


def arrived(app: Any, mailbox: Any, address: str, count: int) -> None:
    """Wait until `count` messages reached the address, sweeping the outbox as the beat does."""

    def swept() -> bool:
        with app.app_context():
            mail.sweep()
        return len(mailbox.to(address)) >= count

    wait_until(swept)


def test_a_spam_complaint_from_an_office_pauses_its_letters_and_tells_every_organizer_affected(
    db, team, mailbox, make_campaign, bounce_box
):
    campaign, official, row = a_letter_sent(db, make_campaign, mailbox, team.organization.id)
    campaign.contact_email = ORGANIZER
    other = digest_campaign(db, make_campaign, official)
    # A letter owed to the office at its pace (minutes later), and one waiting for the other's digest.
    assert write(db, campaign.id, "second@example.org") == 1
    assert write(db, other.id, "third@example.org") == 1

    bounce_box.add(complaint(bounces.return_path(row.id), OFFICIAL, message_id=row.message_id))
    assert bounces.read_mailbox() == 1

    db.session.expire_all()
    paused = db.session.get_one(Official, official.id)
    assert paused.is_paused and paused.address_problem is AddressProblem.COMPLAINT
    owed = state_of_letter(db, "second@example.org")
    assert owed.status == OutboxStatus.FAILED and owed.last_error == COMPLAINED
    # The digest's letter waits on, for the first digest once the office agrees to receive them.
    assert send_digests() == 0
    assert db.session.execute(select(Letter.outbox_id).where(Letter.campaign_id == other.id)).scalar() is None
    # Both organizers are told, in words that say what happened and what comes next.
    [notice] = mailbox.wait_for(ORGANIZER)
    assert "reported them as spam" in notice["Subject"] and "Morgan Ontario" in notice["Subject"]
    assert "paused, for every campaign" in notice.get_content()
    # Each in its campaign's language, the one its organizers wrote it in.
    [other_notice] = mailbox.wait_for(OTHER_ORGANIZER)
    subject = other_notice["Subject"]
    assert subject.startswith("Les lettres à Morgan Ontario sont en pause")
    assert subject.endswith("(Suspendez les exportations)")
    french = " ".join(other_notice.get_content().split())
    assert "pour toutes les campagnes" in french and "attendent le récapitulatif quotidien" in french
    page = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}/letters")
    assert "letters paused: the office reported them as spam" in page.get_data(as_text=True)
    # A letter was delivered, then reported: it did not bounce.
    assert "0 letters to officials" in page.get_data(as_text=True)
    # The office's address is not a supporter's: no stop of all email was recorded for it.
    assert db.session.execute(select(MailSuppression)).first() is None

    # A new signer's letter skips the paused office.
    assert write(db, campaign.id, "fourth@example.org") == 0

    # The same report again changes nothing, and tells no one twice.
    bounce_box.add(complaint(bounces.return_path(row.id), OFFICIAL, message_id=row.message_id))
    assert bounces.read_mailbox() == 1
    db.session.expire_all()
    assert db.session.get_one(Official, official.id).bad_since == paused.bad_since
    assert len(mailbox.to(ORGANIZER)) == 1


def test_a_complaint_about_a_daily_digest_pauses_its_office_too(
    app, db, mailbox, officials, make_letter_campaign, make_signature, bounce_box
):
    settings = make_letter_campaign(
        targets=[officials["fr"]], delivery=DeliveryMode.DIGEST, window_start_hour=8, contact_email=ORGANIZER
    )
    writer = make_signature(settings.campaign_id, "writer@example.org", message="Words.")
    # Two days ago at nine: the digest is due by the real clock.
    today = (now() - timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    with app.test_request_context():
        targets.write_letters(writer.id, today)
        assert send_digests(today) == 1
    mailbox.wait_for("fr@example.org")
    digest = sent(db, DIGEST_KIND)

    bounce_box.add(complaint(bounces.return_path(digest.id), "fr@example.org", message_id=digest.message_id))
    assert bounces.read_mailbox() == 1

    db.session.expire_all()
    assert db.session.get_one(Official, officials["fr"].id).address_problem is AddressProblem.COMPLAINT
    [notice] = mailbox.wait_for(ORGANIZER)
    assert "reported them as spam" in notice["Subject"]
    # Its letters were not stopped: they wait for the first digest after the pause is lifted.
    words = " ".join(notice.get_content().split())
    assert "letters waiting for the daily digest wait until the pause is lifted" in words
    assert "were stopped" not in words
    later = make_signature(settings.campaign_id, "later@example.org", message="More words.")
    with app.test_request_context():
        assert targets.write_letters(later.id, today) == 0  # the paused office is skipped


def test_staff_resume_a_paused_address_and_its_new_letters_arrive_but_not_the_stopped_ones(
    app, db, mailbox, make_campaign, bounce_box
):
    campaign, official, row = a_letter_sent(db, make_campaign, mailbox)
    assert write(db, campaign.id, "second@example.org") == 1
    bounce_box.add(complaint(bounces.return_path(row.id), OFFICIAL, message_id=row.message_id))
    assert bounces.read_mailbox() == 1
    assert is_bad(db, official)

    runner = app.test_cli_runner()
    result = runner.invoke(args=["officials", "status", "letters"])
    assert "Morgan Ontario (letters paused: the office reported them as spam)" in result.output
    listed = runner.invoke(args=["officials", "paused"]).output.splitlines()
    assert listed[0] == "official\taddress\twhy\tsince (UTC)"
    assert listed[1].startswith(
        f"Morgan Ontario\t{OFFICIAL}\tletters paused: the office reported them as spam\t20"
    )
    result = runner.invoke(args=["officials", "resume", OFFICIAL])
    assert result.exit_code == 0, result.output
    assert f"Letters go to Morgan Ontario at {OFFICIAL} again." in result.output
    assert "stay unsent" in result.output
    assert not is_bad(db, official)
    assert db.session.get_one(Official, official.id).address_problem is None
    assert runner.invoke(args=["officials", "paused"]).output.splitlines()[1:] == []
    [event] = db.session.execute(select(AuditEvent).where(AuditEvent.action == "official.resumed")).scalars()
    assert event.subject == f"official:{official.id}" and event.actor.startswith("cli:")

    # A new signer's letter goes out; the one stopped by the pause does not.
    assert write(db, campaign.id, "fourth@example.org") == 1
    assert len(mailbox.wait_for(OFFICIAL, count=2)) == 2
    assert state_of_letter(db, "second@example.org").last_error == COMPLAINED


def test_staff_correct_a_refused_address_and_the_letters_that_never_arrived_go_to_the_new_one(
    app, db, mailbox, make_campaign, bounce_box
):
    campaign, official, row = a_letter_sent(db, make_campaign, mailbox)
    assert write(db, campaign.id, "second@example.org") == 1  # owed minutes later, at the official's pace
    withdrawn = add_signature(db, campaign.id, "third@example.org", message="Please act.")
    targets.write_letters(withdrawn.id)
    db.session.commit()
    bounce_box.add(dsn(bounces.return_path(row.id), OFFICIAL, message_id=row.message_id))
    assert bounces.read_mailbox() == 1
    db.session.expire_all()
    assert db.session.get_one(Official, official.id).address_problem is AddressProblem.REFUSED
    assert state_of_letter(db, "second@example.org").last_error == BAD_ADDRESS
    # One writer withdraws meanwhile: their letter is not sent again.
    db.session.get_one(Signature, withdrawn.id).status = SignatureStatus.INVALIDATED
    # One letter a second, so that the test need not wait out the default pace.
    db.session.execute(update(LetterCampaign).values(hourly_cap=3600))
    db.session.commit()

    runner = app.test_cli_runner()
    moved = ["officials", "resume", OFFICIAL, "--new-email", "Office@Example.org", "--resend"]
    result = runner.invoke(args=moved)
    assert result.exit_code == 0, result.output
    assert "at Office@example.org again" in result.output
    assert "2 letters that never arrived are sent again" in result.output
    # The bounced letter and the one the pause stopped arrive at the right address, a second apart
    # (the beat's sweep sends a letter once its slot comes); then a new one.
    arrived(app, mailbox, "Office@example.org", 2)
    assert write(db, campaign.id, "fourth@example.org") == 1
    arrived(app, mailbox, "Office@example.org", 3)
    assert len(mailbox.to(OFFICIAL)) == 1  # only the first, refused letter
    assert len(mailbox.to("Office@example.org")) == 3
    with app.app_context():
        [status] = delivery.delivery_status(campaign.id)
    assert status.counts == {"sent": 3, "failed": 1}  # the withdrawn writer's letter stays unsent


def test_correcting_an_address_that_was_not_paused_keeps_its_pace_and_owed_letters_follow_it(
    app, db, mailbox, make_campaign
):
    campaign, _official, _row = a_letter_sent(db, make_campaign, mailbox)
    assert write(db, campaign.id, "second@example.org") == 1  # owed minutes later, at the official's pace
    owed = state_of_letter(db, "second@example.org")

    moved = ["officials", "resume", OFFICIAL, "--new-email", "moved@example.org"]
    assert app.test_cli_runner().invoke(args=moved).exit_code == 0

    # A new letter still waits its turn behind the one owed: the office's pace holds.
    assert write(db, campaign.id, "third@example.org") == 1
    assert state_of_letter(db, "third@example.org").next_attempt_at > owed.next_attempt_at
    # The owed letter, once its slot comes, goes to the corrected address.
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == owed.id).values(next_attempt_at=now()))
    db.session.commit()
    arrived(app, mailbox, "moved@example.org", 1)
    assert len(mailbox.to(OFFICIAL)) == 1


def test_staff_resume_a_paused_address_on_their_page_and_no_one_else_can(
    app, db, mailbox, make_campaign, bounce_box
):
    _campaign, official, row = a_letter_sent(db, make_campaign, mailbox)
    bounce_box.add(complaint(bounces.return_path(row.id), OFFICIAL, message_id=row.message_id))
    assert bounces.read_mailbox() == 1
    organizer, _ = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, two_factor=False)
    assert organizer.get("/staff/officials/paused").status_code == 403
    staff, staff_user = signed_in(app, db, "staff@example.org", Role.STAFF)
    resume = f"/staff/officials/{official.id}/resume"
    assert organizer.post(resume, data={"csrf_token": "x"}).status_code in (400, 403)

    listed = staff.get("/staff/officials/paused").get_data(as_text=True)
    assert "Morgan Ontario" in listed and OFFICIAL in listed
    assert "letters paused: the office reported them as spam" in listed
    token = csrf_token(listed)
    # Hostile or mistyped addresses are refused with a reason, and nothing changes.
    for typed, reason in [
        ("office@example.org\r\nBcc: victim@example.org", "The address is not valid."),
        ("office@", "Please check the email address: the part after the @ is not a domain name"),
    ]:
        refused = staff.post(resume, data={"csrf_token": token, "new_email": typed})
        assert refused.status_code == 400 and reason in refused.get_data(as_text=True), typed
        assert is_bad(db, official)

    done = staff.post(resume, data={"csrf_token": token, "new_email": "office@example.org", "resend": "y"})
    assert done.status_code == 303
    page = staff.get("/staff/officials/paused").get_data(as_text=True)
    assert "Letters go to Morgan Ontario at office@example.org again." in page
    assert "0 letters that never arrived are sent again" in page  # it was delivered, then reported
    assert "Letters go to every official's address." in page
    assert not is_bad(db, official)
    [event] = db.session.execute(select(AuditEvent).where(AuditEvent.action == "official.resumed")).scalars()
    assert event.actor == f"user:{staff_user.id}"
    assert staff.post(resume, data={"csrf_token": token}).status_code == 404  # not paused any more


def test_resume_refuses_what_it_cannot_do_and_changes_nothing(app, db, make_campaign):
    db.session.add_all(
        [
            Official(
                name="Ana",
                title="Minister",
                country="FR",
                email="ana@example.org",
                address_problem=AddressProblem.REFUSED,
                bad_since=now(),
            ),
            Official(name="Ana", title="Minister", country="FR", email="ana@gov.example.org"),
        ]
    )
    db.session.commit()
    runner = app.test_cli_runner()

    unknown = runner.invoke(args=["officials", "resume", "nobody@example.org"])
    assert unknown.exit_code == 1 and "No official in the directory has the address" in unknown.output
    invalid = runner.invoke(args=["officials", "resume", "ana@example.org", "--new-email", "ana@\nevil"])
    assert invalid.exit_code == 1 and "Traceback" not in invalid.output
    taken = runner.invoke(
        args=["officials", "resume", "ana@example.org", "--new-email", "ana@gov.example.org"]
    )
    assert taken.exit_code == 1 and "Ana is already in the directory at ana@gov.example.org" in taken.output

    db.session.expire_all()
    ana = db.session.execute(select(Official).where(Official.email == "ana@example.org")).scalar_one()
    assert ana.is_paused
    assert db.session.execute(select(AuditEvent)).first() is None
