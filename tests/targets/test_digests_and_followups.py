"""Daily digests for officials, and asking writers whether their officials replied."""

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from campaign import clock
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.targets import delivery, digests, followups
from campaign.targets import service as targets
from campaign.targets.models import DeliveryMode, FollowUp, Letter, ReplyAnswer
from tests.support.forms import csrf_token
from tests.support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("celery_worker")


def test_a_digest_campaign_sends_each_official_one_email_a_day_with_every_letter(
    app, db, mailbox, officials, make_letter_campaign, make_signature
):
    settings = make_letter_campaign(
        targets=[officials["fr"]], delivery=DeliveryMode.DIGEST, window_start_hour=8
    )
    writers = [
        make_signature(
            settings.campaign_id, f"w{n}@example.org", given_name=f"Writer{n}", message=f"Words {n}."
        )
        for n in range(3)
    ]
    # Two days ago at nine, so every digest below is due by the real clock.
    today = (clock.now() - timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    with app.test_request_context():
        for writer in writers:
            targets.write_letters(writer.id, today)
        db.session.commit()
        assert db.session.execute(select(OutboxMessage)).first() is None  # nothing before the digest
        assert digests.send_digests(today.replace(hour=7)) == 0  # before the window opens
        assert digests.send_digests(today) == 1
        db.session.commit()
        assert digests.send_digests(today + timedelta(hours=2)) == 0  # one a day

    [digest] = mailbox.wait_for("fr@example.org")
    body = digest.get_body(("plain",)).get_content()
    assert digest["Subject"].startswith("3 letters from")
    assert all(f"Words {n}." in body and f"Writer{n} Petrosyan" in body for n in range(3))
    [attachment] = digest.iter_attachments()
    assert attachment.get_filename() == "letters.csv"
    rows = list(csv.reader(io.StringIO(attachment.get_content().lstrip("\ufeff"))))
    assert rows[0][:3] == ["Written at (UTC)", "First name", "Last name"]
    assert [row[1] for row in rows[1:]] == ["Writer0", "Writer1", "Writer2"]
    assert [row[6] for row in rows[1:]] == ["Words 0.", "Words 1.", "Words 2."]
    with app.app_context():
        assert delivery.delivery_status(settings.campaign_id)[0].counts.keys() <= {"queued", "sent"}

    late = make_signature(settings.campaign_id, "late@example.org", message="Late words.")
    with app.test_request_context():
        targets.write_letters(late.id, today)
        assert digests.send_digests(today + timedelta(hours=3)) == 0  # waits for tomorrow
        assert digests.send_digests(today + timedelta(days=1)) == 1
        db.session.commit()
    [_, second] = mailbox.wait_for("fr@example.org", count=2)
    second_body = second.get_body(("plain",)).get_content()
    assert "Late words." in second_body and "Words 0." not in second_body


DELIVERED_AT = datetime(2026, 1, 1, 12, 0)


def a_letter_delivered(app, db, mailbox, officials, make_letter_campaign, make_signature):
    """A writer's letter to one official, sent by the worker and recorded as sent at DELIVERED_AT."""
    settings = make_letter_campaign(targets=[officials["fr"]])
    writer = make_signature(settings.campaign_id, "writer@example.org")
    with app.test_request_context():
        targets.write_letters(writer.id)
        db.session.commit()
    mailbox.wait_for("fr@example.org")
    db.session.execute(update(OutboxMessage).values(status=OutboxStatus.SENT, sent_at=DELIVERED_AT))
    return settings, writer


def test_writers_are_asked_after_fourteen_days_reminded_at_twenty_one_and_answers_are_counted(
    app, db, client, mailbox, officials, make_letter_campaign, make_signature
):
    settings, writer = a_letter_delivered(app, db, mailbox, officials, make_letter_campaign, make_signature)
    db.session.commit()

    with app.test_request_context():
        assert followups.ask_for_replies(DELIVERED_AT + timedelta(days=13)) == 0
        assert followups.ask_for_replies(DELIVERED_AT + timedelta(days=14)) == 1
        db.session.commit()
        assert followups.ask_for_replies(DELIVERED_AT + timedelta(days=15)) == 0
        assert followups.ask_for_replies(DELIVERED_AT + timedelta(days=21)) == 1  # the one reminder
        db.session.commit()
        assert followups.ask_for_replies(DELIVERED_AT + timedelta(days=40)) == 0

    received = mailbox.wait_for("writer@example.org", count=2)
    [reminder] = [m for m in received if "A week ago" in m.get_content()]
    [question] = [m for m in received if m is not reminder]
    assert reminder["Subject"] == question["Subject"]
    assert question["Subject"].startswith("Did your officials reply?")
    path = re.search(r"http://localhost(/letters/replied/\S+)", question.get_content()).group(1)
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    token = csrf_token(page.get_data(as_text=True))
    assert client.post(path, data={"csrf_token": token, "answer": "maybe"}).status_code == 400
    assert client.post(path, data={"csrf_token": token, "answer": "yes"}).status_code == 200
    assert client.get("/letters/replied/forged-token").status_code == 404
    db.session.expire_all()
    assert db.session.get(FollowUp, writer.id).answer == ReplyAnswer.YES
    with app.app_context():
        assert followups.reply_rates(settings.campaign_id) == {"asked": 1, "yes": 1, "no": 0}


def test_a_writer_whose_letter_bounced_is_not_asked_whether_the_official_replied(
    app, db, mailbox, officials, make_letter_campaign, make_signature
):
    _settings, writer = a_letter_delivered(app, db, mailbox, officials, make_letter_campaign, make_signature)
    # The official's server sent it back an hour later (campaign.mail.bounces).
    db.session.execute(update(Letter).values(bounced_at=DELIVERED_AT + timedelta(hours=1)))
    db.session.commit()

    with app.test_request_context():
        assert followups.ask_for_replies(DELIVERED_AT + timedelta(days=14)) == 0
        assert followups.ask_for_replies(DELIVERED_AT + timedelta(days=21)) == 0
    assert db.session.get(FollowUp, writer.id) is None


def test_a_writer_who_stopped_all_email_is_not_asked_whether_the_official_replied(
    app, db, mailbox, officials, make_letter_campaign, make_signature
):
    """The stop is kept by the address (campaign.mail.suppressions): the worker refuses the question
    owed to it, as it refuses every kind a stop covers."""
    from campaign.mail import suppressions
    from campaign.signing import supporters

    _settings, writer = a_letter_delivered(app, db, mailbox, officials, make_letter_campaign, make_signature)
    db.session.commit()
    with app.test_request_context():
        supporters.stop_all_email(supporters.index_of(writer.person_id))
        db.session.commit()
        assert followups.ask_for_replies(DELIVERED_AT + timedelta(days=14)) == 1
        db.session.commit()

    def refused():
        db.session.expire_all()
        row = db.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == followups.FOLLOWUP_KIND)
        ).scalar_one()
        return row if row.status == OutboxStatus.FAILED else None

    assert wait_until(refused).last_error == suppressions.STOPPED
    assert mailbox.to("writer@example.org") == []
