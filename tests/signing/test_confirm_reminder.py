"""A signature left unconfirmed a day gets one reminder, and only where a harasser gains nothing by it."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from campaign import clock
from campaign.campaigns.models import CampaignStatus
from campaign.mail import suppressions
from campaign.mail.models import OutboxMessage, SuppressionReason
from campaign.signing import reminders
from campaign.signing.messages import CONFIRM_REMINDER_KIND
from campaign.signing.models import Signature, SignatureStatus
from campaign.signing.service import email_index
from tests.support.forms import csrf_token

SIGNER = "anahit@example.org"


def given_hours_ago(db, hours, slug=None):
    """Move the signatures (of one campaign's, if named) back in time, as if given `hours` ago."""
    from campaign.campaigns.models import Campaign

    moved = update(Signature).values(created_at=clock.now() - timedelta(hours=hours))
    if slug is not None:
        moved = moved.where(
            Signature.campaign_id == select(Campaign.id).where(Campaign.slug == slug).scalar_subquery()
        )
    db.session.execute(moved)
    db.session.commit()


def reminders_owed(db):
    db.session.expire_all()
    return (
        db.session.execute(select(OutboxMessage).where(OutboxMessage.kind == CONFIRM_REMINDER_KIND))
        .scalars()
        .all()
    )


@pytest.mark.usefixtures("celery_worker")
def test_one_reminder_a_day_later_whose_link_confirms_the_signature(
    app, db, client, mailbox, make_campaign, sign
):
    make_campaign(slug="recognize", title="Recognize the Republic")
    sign("recognize")
    mailbox.wait_for(SIGNER)

    given_hours_ago(db, 23)
    with app.test_request_context():
        assert reminders.remind_unconfirmed() == 0  # not yet a day
    given_hours_ago(db, 25)
    with app.test_request_context():
        assert reminders.remind_unconfirmed() == 1
        assert reminders.remind_unconfirmed() == 0  # once, never again

    [_, reminder] = mailbox.wait_for(SIGNER, count=2)
    assert reminder["Subject"] == "Reminder: please confirm your signature: Recognize the Republic"
    body = reminder.get_content()
    assert "This is the only reminder we send." in body
    assert "Anahit" not in body  # the name anyone may have typed is not shown before the address confirms it
    assert reminder["List-Unsubscribe"]  # someone else may have typed the address: one click stops it
    path = re.search(r"http://localhost(/confirm/\S+)", body).group(1)
    page = client.get(path)
    assert client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))}).status_code == 303
    db.session.expire_all()
    assert db.session.execute(select(Signature.status)).scalar_one() == SignatureStatus.VALIDATED


def test_no_reminder_where_it_would_serve_a_harasser_or_come_too_late(app, db, make_campaign, sign):
    for slug in ("one", "two", "stopped", "down", "late"):
        make_campaign(slug=slug)
    # Someone signs one address up to two campaigns: the address gets no reminder at all.
    sign("one", email="victim@example.org")
    sign("two", email="victim@example.org")
    # The owner of this address stopped all our email.
    sign("stopped", email="stopped@example.org")
    suppressions.suppress(email_index("stopped@example.org"), SuppressionReason.STOPPED)
    # A campaign taken down counts no confirmation: nothing to remind of.
    sign("down", email="down@example.org")
    from campaign.campaigns.models import Campaign

    db.session.execute(
        update(Campaign).where(Campaign.slug == "down").values(status=CampaignStatus.TAKEN_DOWN)
    )
    given_hours_ago(db, 25)
    # Missed for more than a day (an outage): a reminder now would be late.
    sign("late", email="late@example.org")
    given_hours_ago(db, 50, slug="late")

    with app.test_request_context():
        assert reminders.remind_unconfirmed() == 0
    assert reminders_owed(db) == []


def test_a_reminder_stays_within_the_address_bound_and_none_is_sent_when_turned_off(
    app, db, make_campaign, sign
):
    make_campaign(slug="recognize")
    sign("recognize")
    given_hours_ago(db, 25)
    app.config["CONFIRM_REMINDER_HOURS"] = 0
    try:
        with app.test_request_context():
            assert reminders.remind_unconfirmed() == 0
    finally:
        app.config["CONFIRM_REMINDER_HOURS"] = 24
    # The address had its day's mail: the reminder waits, and goes once the day has room.
    per_day = app.config["MAIL_PER_ADDRESS_PER_DAY"]
    app.config["MAIL_PER_ADDRESS_PER_DAY"] = 1
    try:
        with app.test_request_context():
            assert reminders.remind_unconfirmed() == 0
    finally:
        app.config["MAIL_PER_ADDRESS_PER_DAY"] = per_day
    db.session.execute(update(OutboxMessage).values(created_at=clock.now() - timedelta(hours=25)))
    db.session.commit()
    with app.test_request_context():
        assert reminders.remind_unconfirmed() == 1
    [reminder] = reminders_owed(db)
    assert reminder.recipient_index == email_index(SIGNER)


def test_the_reminder_is_in_the_language_they_signed_in(app, db, make_campaign):
    from campaign.campaigns.models import CampaignTranslation
    from tests.i18n.test_language_choice import translated
    from tests.support import outbox
    from tests.support.signers import add_signature

    campaign = make_campaign(slug="recognize", title="Recognize Artsakh")
    title = "\u0543\u0561\u0576\u0561\u0579\u0565\u055b\u0584 \u0531\u0580\u0581\u0561\u056d\u0568"
    db.session.add(
        CampaignTranslation(
            campaign_id=campaign.id, language="hy", title=title, summary="…", body_markdown="…"
        )
    )
    add_signature(db, campaign.id, SIGNER, language="hy", status=SignatureStatus.PENDING)
    given_hours_ago(db, 25)
    with app.test_request_context():
        assert reminders.remind_unconfirmed() == 1

    [message] = outbox.composed(db, CONFIRM_REMINDER_KIND)
    assert message.subject == translated("hy", "Reminder: please confirm your signature: %(title)s") % {
        "title": title
    }
    assert re.search(r"http://localhost/confirm/\S+\?lang=hy", message.body)
