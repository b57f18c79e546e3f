"""Stopping all email to an address: what someone else can make us send to it (confirmations,
invitations, repeat notes) stops for good, erasure included; the owner's own account mail and the
way back to their page still come; one click in the mail stops it (RFC 8058).

Mail goes through the real worker and SMTP server.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from campaign import clock
from campaign.accounts import organizations
from campaign.accounts.models import MemberRole
from campaign.mail import service as mail
from campaign.mail import suppressions
from campaign.mail.models import MailSuppression, OutboxMessage, OutboxStatus, SuppressionReason
from campaign.signing import supporters
from campaign.signing.models import Person
from tests.support.bounces import OFFICIAL, a_letter_sent
from tests.support.forms import csrf_token, post_form
from tests.support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("celery_worker")

VICTIM = "victim@example.org"


def outcome(db, dedupe_prefix: str) -> OutboxMessage:
    """The latest outbox row whose key starts so, once the worker is done with it."""

    def done() -> OutboxMessage | None:
        db.session.expire_all()
        row = db.session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.dedupe_key.startswith(dedupe_prefix))
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        return row if row is not None and row.status in (OutboxStatus.SENT, OutboxStatus.FAILED) else None

    return wait_until(done)


def stop_path(message) -> str:
    """The one-click link of a mail, as a path; it is the same as the link in its text."""
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = re.fullmatch(r"<(http://localhost/stop-email/[^>]+)>", message["List-Unsubscribe"]).group(1)
    assert link in message.get_content()
    return urlsplit(link).path


def my_path_in(message) -> str:
    return re.search(r"http://localhost(/my/\S+)", message.get_content()).group(1)


def test_one_click_in_a_confirmation_stops_every_later_one_even_after_erasure(
    app, db, make_campaign, sign, mailbox
):
    for slug in ("one", "two", "three"):
        make_campaign(slug=slug)
    sign("one", email=VICTIM)
    [first] = mailbox.wait_for(VICTIM)
    path = stop_path(first)

    # A mail scanner following the link changes nothing; the page offers the button.
    offered = app.test_client().get(path)
    assert offered.status_code == 200 and offered.headers["Cache-Control"] == "no-store"
    assert "Stop all email to this address?" in offered.get_data(as_text=True)
    assert db.session.execute(select(MailSuppression)).first() is None

    # The mail client's one-click POST: no cookie, no form token.
    stopped = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert stopped.status_code == 200
    assert "No more email to this address" in stopped.get_data(as_text=True)

    # Whoever signs the address up again, nothing reaches it.
    sign("two", email=VICTIM)
    assert outcome(db, "confirm:").last_error == suppressions.STOPPED

    # The owner erases everything; the stop is kept by the address's keyed hash, not the person.
    my_path = my_path_in(first)
    erase = app.test_client()
    page = erase.get(f"{my_path}/erase")
    answer = erase.post(f"{my_path}/erase", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert answer.status_code == 200
    db.session.expire_all()
    assert db.session.execute(select(Person)).first() is None
    sign("three", email=VICTIM)
    assert outcome(db, "confirm:").last_error == suppressions.STOPPED
    assert len(mailbox.to(VICTIM)) == 1
    assert "No more email to this address" in app.test_client().get(path).get_data(as_text=True)


def test_erasing_can_stop_all_email_at_the_same_time(app, db, client, make_campaign, sign, mailbox):
    make_campaign(slug="one")
    make_campaign(slug="two")
    sign("one", email=VICTIM)
    [first] = mailbox.wait_for(VICTIM)
    my_path = my_path_in(first)

    erased = post_form(client, f"{my_path}/erase", stop_email="1")

    assert erased.status_code == 200
    assert "we will not write to you again" in " ".join(erased.get_data(as_text=True).split())
    sign("two", email=VICTIM)
    assert outcome(db, "confirm:").last_error == suppressions.STOPPED
    [suppression] = db.session.execute(select(MailSuppression)).scalars()
    assert suppression.reason == SuppressionReason.STOPPED
    assert suppression.recipient_index == mail.recipient_index(VICTIM)
    # Staff looking the address up are told why nothing reaches it.
    asked = app.test_cli_runner().invoke(args=["mail", "suppressed", VICTIM])
    assert "its owner stopped all email to it" in asked.output


def test_the_page_link_still_comes_once_a_week_and_email_can_be_let_through_again(
    app, db, client, make_campaign, sign, mailbox
):
    make_campaign(slug="one")
    make_campaign(slug="two")
    sign("one", email=VICTIM)
    [first] = mailbox.wait_for(VICTIM)
    my_path = my_path_in(first)
    stopped = post_form(client, my_path, action=f"{my_path}/stop-email")
    assert stopped.status_code == 303
    page = client.get(my_path).get_data(as_text=True)
    assert "No more email will go to this address" in page and "Receive email again" in page

    # Asking for the page's link is the way back: it comes, at most once a week.
    assert post_form(client, "/my/", email=VICTIM).status_code == 200
    [_, link] = mailbox.wait_for(VICTIM, 2)
    assert "/my/" in link.get_content() and "List-Unsubscribe" not in link
    person_id = db.session.execute(select(Person.id)).scalar_one()
    index = mail.recipient_index(VICTIM)

    def ask_again(hour: str) -> OutboxMessage:
        """The link asked for again in a later hour (each hour has its own key)."""
        mail.owe(
            kind=supporters.MY_LINK_KIND,
            dedupe_key=f"my-link:{hour}",
            ref_id=person_id,
            recipient_index=index,
        )
        db.session.commit()
        return outcome(db, f"my-link:{hour}")

    assert ask_again("later").last_error == suppressions.STOPPED_AND_SENT_LATELY
    # A week later.
    week_ago = clock.now() - timedelta(days=8)
    db.session.execute(update(OutboxMessage).values(created_at=week_ago, sent_at=week_ago))
    db.session.commit()
    assert ask_again("next-week").status == OutboxStatus.SENT

    # On the page, the owner lets email through again: signing brings a confirmation again.
    resumed = post_form(client, my_path, action=f"{my_path}/resume-email")
    assert resumed.status_code == 303
    assert "Stop all email" in client.get(my_path).get_data(as_text=True)
    sign("two", email=VICTIM)
    assert outcome(db, "confirm:").status == OutboxStatus.SENT


def test_an_invitation_can_stop_all_email_and_account_mail_still_comes(app, db, client, team, mailbox):
    def invite(email: str) -> OutboxMessage:
        organizations.invite(team.organization, email, MemberRole.MEMBER, team.organizer.user)
        db.session.commit()
        return outcome(db, "invitation:")

    assert invite(VICTIM).status == OutboxStatus.SENT
    [invitation] = mailbox.wait_for(VICTIM)
    path = stop_path(invitation)
    stopped = app.test_client().post(path)
    assert stopped.status_code == 200 and "Receive email again" in stopped.get_data(as_text=True)
    assert invite(VICTIM).last_error == suppressions.STOPPED

    # An invitee has no page of their own: the stop link's page is their way back.
    resumed = app.test_client().post(f"{path}/resume")
    assert resumed.status_code == 200
    assert "Email can reach this address again" in resumed.get_data(as_text=True)
    assert invite(VICTIM).status == OutboxStatus.SENT
    assert len(mailbox.wait_for(VICTIM, 2)) == 2

    # The organizer stops all email to their own address: their password reset still comes.
    organizer = team.organizer.user.email
    stop = f"/stop-email/{suppressions.stop_token(mail.recipient_index(organizer))}"
    assert app.test_client().post(stop).status_code == 200
    assert post_form(client, "/password/forgot", email=organizer).status_code == 200
    [reset] = mailbox.wait_for(organizer)
    assert reset["Subject"] == "Choose a new password"


def test_a_stop_link_we_did_not_write_is_refused_and_changes_nothing(app, db, client):
    index = mail.recipient_index(VICTIM)
    good = suppressions.stop_token(index)
    forged = [good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "x" * 300, "not-a-token"]
    # A token of another link, signed by us for another purpose, names no address here.
    forged.append(supporters.my_token(1))
    for token in forged:
        assert client.get(f"/stop-email/{token}").status_code == 400
        assert client.post(f"/stop-email/{token}").status_code == 400
        assert client.post(f"/stop-email/{token}/resume").status_code == 400
    assert db.session.execute(select(MailSuppression)).first() is None


def test_letters_to_an_official_go_on_whoever_stopped_the_offices_address(app, db, make_campaign, mailbox):
    # Someone with a stop link to the office's address (it once signed, or was signed up) pressed it.
    supporters.stop_all_email(mail.recipient_index(OFFICIAL))
    db.session.commit()

    _, _, letter = a_letter_sent(db, make_campaign, mailbox)

    assert letter.status == OutboxStatus.SENT and len(mailbox.to(OFFICIAL)) == 1
