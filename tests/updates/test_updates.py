"""Updates to signers: written, previewed, queued in batches through the outbox, one-click unsubscribe."""

import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from campaign import clock
from campaign.accounts.models import Role
from campaign.mail import composing
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.signing.models import Signature, SignatureStatus
from campaign.updates import messages, sending, service
from campaign.updates.models import Unsubscribe, Update, UpdateMessage, UpdateStatus
from campaign.updates.tokens import read_unsubscribe_token, unsubscribe_token
from tests.support.forms import csrf_token, post_form
from tests.support.organizations import make_organization, signed_in
from tests.support.outbox import composed
from tests.support.signers import add_signer
from tests.support.updates import finish_sending
from tests.support.waiting import wait_until


def outbox_rows(db, update_id):
    """The outbox rows carrying an update."""
    db.session.expire_all()
    return (
        db.session.execute(
            select(OutboxMessage)
            .join(UpdateMessage, UpdateMessage.outbox_id == OutboxMessage.id)
            .where(UpdateMessage.update_id == update_id)
        )
        .scalars()
        .all()
    )


def rows_by_person(db, update_id):
    """The outbox rows carrying an update, by the person each is owed to (rows name no one themselves)."""
    db.session.expire_all()
    found = db.session.execute(
        select(UpdateMessage.person_id, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == UpdateMessage.outbox_id)
        .where(UpdateMessage.update_id == update_id)
    ).all()
    return {person_id: row for person_id, row in found}


def status_of(db, update_id):
    """An update's status as the database has it now."""
    db.session.expire_all()
    return db.session.get(Update, update_id).status


@pytest.mark.usefixtures("celery_worker")
def test_an_update_reaches_exactly_the_opted_in_validated_signers_once_each(app, db, make_campaign, mailbox):
    relief = make_organization(db, "Armenian Relief")
    campaign = make_campaign(slug="recognize", title="Recognize Artsakh", organization_id=relief.id)
    other = make_campaign(slug="other", organization_id=relief.id)
    add_signer(db, campaign, "anahit@example.org", given_name="Anahit")
    add_signer(db, campaign, "vardan@example.org", given_name="Vardan")
    add_signer(db, campaign, "quiet@example.org", opt_in=False)
    add_signer(db, campaign, "pending@example.org", status=SignatureStatus.PENDING)
    add_signer(db, campaign, "invalid@example.org", status=SignatureStatus.INVALIDATED)
    add_signer(db, other, "elsewhere@example.org")
    browser = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, organization=relief)

    # A line break in the subject is refused with its reason (it could forge a header).
    forged = post_form(
        browser,
        f"/organize/campaigns/{campaign.id}/updates",
        subject="We reached parliament\r\nBcc: victim@example.org",
        body="The vote is **on Monday**.",
    )
    assert forged.status_code == 400 and "U+000D (a line break)" in forged.get_data(as_text=True)
    written = post_form(
        browser,
        f"/organize/campaigns/{campaign.id}/updates",
        subject="We reached parliament",
        body="The vote is **on Monday**. <script>alert(1)</script>",
    )
    assert written.status_code == 303
    page_path = written.headers["Location"]
    update_id = int(re.search(r"/updates/(\d+)$", page_path).group(1))
    preview = browser.get(page_path).get_data(as_text=True)
    assert "<strong>on Monday</strong>" in preview and "<script>alert" not in preview
    assert "Send to 2 signers" in preview and 'http-equiv="refresh"' not in preview

    sent = post_form(browser, page_path, action=f"{page_path}/send")
    assert sent.status_code == 303
    wait_until(lambda: status_of(db, update_id) == UpdateStatus.SENT, timeout=20)
    for address in ("anahit@example.org", "vardan@example.org"):
        (message,) = mailbox.wait_for(address)
        assert message["Subject"] == "We reached parliament"
        assert message["From"].addresses[0].display_name == "Armenian Relief"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = re.fullmatch(r"<(http://localhost/u/[^>]+)>", message["List-Unsubscribe"]).group(1)
        assert link in message.get_content()
        assert "**on Monday**" in message.get_content()
    assert mailbox.envelopes.count(["anahit@example.org"]) == 1

    # Running the task again, or pressing send again, queues nobody twice.
    assert sending.queue_update(update_id) == 0
    assert post_form(browser, "/account", action=f"{page_path}/send").status_code == 303
    time.sleep(1)
    assert len(mailbox.messages) == 2
    assert len(outbox_rows(db, update_id)) == 2
    progress = browser.get(page_path).get_data(as_text=True)
    assert re.search(r'update-queued">2</span>\s*of <span class="update-total">2<', progress)
    assert 'class="update-sent">2<' in progress


@pytest.mark.usefixtures("celery_worker")
def test_one_click_unsubscribe_without_cookies_stops_the_next_update(app, db, make_campaign, mailbox):
    relief = make_organization(db, "Armenian Relief")
    campaign = make_campaign(slug="recognize", organization_id=relief.id)
    leaving = add_signer(db, campaign, "leaving@example.org")
    add_signer(db, campaign, "staying@example.org")

    first = sending.announce(campaign, "First news", "Hello.")
    db.session.commit()
    (message,) = mailbox.wait_for("leaving@example.org")
    link = message["List-Unsubscribe"].strip("<>")
    path = urlsplit(link).path

    scanner = app.test_client()
    page = scanner.get(path)
    assert page.status_code == 200 and "Stop the updates" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert not service.is_unsubscribed(campaign.id, leaving)

    mail_provider = app.test_client()
    answer = mail_provider.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert "no more updates" in answer.get_data(as_text=True)
    assert "Set-Cookie" not in answer.headers
    db.session.expire_all()
    assert service.is_unsubscribed(campaign.id, leaving)
    signature = db.session.execute(select(Signature).where(Signature.person_id == leaving)).scalar_one()
    assert signature.has_email_opt_in is False
    # Twice is harmless.
    assert mail_provider.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200

    wait_until(lambda: status_of(db, first.id) == UpdateStatus.SENT)
    sending.announce(db.session.get(type(campaign), campaign.id), "Second news", "Hello again.")
    db.session.commit()
    mailbox.wait_for("staying@example.org", count=2)
    time.sleep(0.5)
    assert len(mailbox.to("leaving@example.org")) == 1


def test_unsubscribing_cancels_what_is_owed_and_a_running_batch_skips_them(app, db, make_campaign):
    campaign = make_campaign(slug="recognize")
    leaving = add_signer(db, campaign, "leaving@example.org")
    staying = add_signer(db, campaign, "staying@example.org")
    draft = service.create_draft(campaign, None, "News", "Body")
    assert sending.start_sending(draft)
    assert sending.queue_batch(draft.id, 100) == (2, 2)
    # Not due for an hour: the pump leaves them, so the test sees them owed.
    db.session.execute(update(OutboxMessage).values(next_attempt_at=clock.now() + timedelta(hours=1)))
    db.session.commit()

    assert service.unsubscribe(campaign.id, leaving)
    db.session.commit()
    rows = rows_by_person(db, draft.id)
    cancelled = rows[leaving]
    assert (cancelled.status, cancelled.last_error) == (OutboxStatus.FAILED, service.CANCELLED)
    assert rows[staying].status == OutboxStatus.PENDING
    # What is still owed goes to the one who stayed, and to nobody else.
    assert [m.recipient for m in composed(db, "update")] == ["Ani Doe <staying@example.org>"]
    assert sending.count_recipients(campaign.id) == 1


def test_queueing_goes_in_batches_and_a_second_run_adds_nothing(app, db, make_campaign):
    campaign = make_campaign(slug="many")
    for n in range(7):
        add_signer(db, campaign, f"s{n}@example.org")
    late = service.create_draft(campaign, None, "News", "Body")
    assert sending.start_sending(late)
    db.session.commit()
    assert late.total_recipients == 7
    # A worker may take part as well; between them every signer is queued once.
    sending.queue_update(late.id, batch=2)
    sending.queue_update(late.id, batch=2)
    db.session.expire_all()
    done = db.session.get(Update, late.id)
    assert done.status == UpdateStatus.SENT and done.queued_count == 7 and done.progress == 100
    assert len(outbox_rows(db, late.id)) == 7
    keys = db.session.execute(select(func.count()).where(OutboxMessage.dedupe_key.like("update:%"))).scalar()
    assert keys == 7


def test_signers_confirmed_after_sending_began_are_not_added(app, db, make_campaign):
    campaign = make_campaign(slug="snapshot")
    add_signer(db, campaign, "early@example.org")
    draft = service.create_draft(campaign, None, "News", "Body")
    sending.start_sending(draft)
    db.session.commit()
    time.sleep(0.01)
    add_signer(db, campaign, "late@example.org")
    sending.queue_update(draft.id)
    assert [composing.composed(row).recipient for row in outbox_rows(db, draft.id)] == [
        "Ani Doe <early@example.org>"
    ]


def test_a_forged_or_altered_token_is_refused_and_changes_nothing(app, db, client, make_campaign):
    campaign = make_campaign(slug="recognize")
    person = add_signer(db, campaign, "ani@example.org")
    with app.app_context():
        good = unsubscribe_token(campaign.id, person)
    altered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    forged_payload = good.replace(good.split(".")[0], "WzEsMl0")
    for token in (altered, forged_payload, "nonsense", "x" * 300):
        assert client.get(f"/u/{token}").status_code == 400
        assert client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert db.session.execute(select(func.count()).select_from(Unsubscribe)).scalar() == 0
    with app.app_context():
        assert read_unsubscribe_token(good) is not None
        assert read_unsubscribe_token(altered) is None


def test_a_token_for_a_campaign_or_person_that_is_gone_is_refused(app, db, client):
    with app.app_context():
        token = unsubscribe_token(999, 999)
    assert client.get(f"/u/{token}").status_code == 400
    assert client.post(f"/u/{token}").status_code == 400


def test_bad_input_gets_a_clear_400_and_changes_nothing(app, db, make_campaign):
    relief = make_organization(db, "Relief")
    campaign = make_campaign(slug="strict", organization_id=relief.id)
    browser = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, organization=relief)
    path = f"/organize/campaigns/{campaign.id}/updates"

    empty = post_form(browser, path, subject="", body="Something")
    assert empty.status_code == 400 and "Write a subject." in empty.get_data(as_text=True)
    too_long = post_form(browser, path, subject="News", body="x" * 20_001)
    assert too_long.status_code == 400 and "At most 20,000 characters." in too_long.get_data(as_text=True)
    forged = browser.post(path, data={"csrf_token": "forged", "subject": "News", "body": "Body"})
    assert forged.status_code == 400 and "expired" in forged.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(Update)).scalar() == 0

    long_armenian = post_form(browser, path, subject="Լուրեր", body="Հայաստան " * 2000)
    assert long_armenian.status_code == 303


def test_a_draft_can_change_until_it_is_sent_and_then_not(app, db, make_campaign):
    relief = make_organization(db, "Relief")
    campaign = make_campaign(slug="edit", organization_id=relief.id)
    browser = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, organization=relief)
    created = post_form(browser, f"/organize/campaigns/{campaign.id}/updates", subject="Draft", body="One")
    path = created.headers["Location"]
    nul = post_form(browser, path, action=f"{path}/edit", subject="Final", body="Two\x00 *words*")
    assert nul.status_code == 400 and "U+0000 (a control character)" in nul.get_data(as_text=True)
    changed = post_form(browser, path, action=f"{path}/edit", subject="Final", body="Two *words*")
    assert changed.status_code == 303
    page = browser.get(path).get_data(as_text=True)
    assert "<em>words</em>" in page and "Final" in page
    assert post_form(browser, path, action=f"{path}/send").status_code == 303
    token = csrf_token(browser.get("/account").get_data(as_text=True))
    late = browser.post(f"{path}/edit", data={"csrf_token": token, "subject": "Later", "body": "Three"})
    assert late.status_code == 409
    finish_sending(db)
    db.session.expire_all()
    stored = db.session.execute(select(Update)).scalar_one()
    assert (stored.subject, stored.body_markdown) == ("Final", "Two *words*")


def test_the_list_unsubscribe_header_is_whole_and_cannot_carry_another_header(app):
    long_link = "https://campaigns.example.org/u/" + "A" * 120
    with app.app_context():
        message = composing.compose(
            OutboxMessage(kind=messages.UPDATE_KIND, message_id=mail.message_id_for("k")),
            mail.Composed(
                recipient="ani@example.org",
                subject="News",
                body="Hello",
                list_unsubscribe=long_link + "\r\nBcc: victim@example.org",
            ),
        )
    raw = message.data.decode().replace("\r\n", "\n")
    assert f"List-Unsubscribe: <{long_link}Bcc:victim@example.org>\n" in raw
    assert "\nBcc:" not in raw and "=?utf-8?" not in raw
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n" in raw


def test_an_update_left_sending_is_handed_over_again_and_one_in_progress_is_not(app, db, make_campaign):
    campaign = make_campaign(slug="stalled")
    add_signer(db, campaign, "ani@example.org")
    stalled = service.create_draft(campaign, None, "News", "Body")
    # As if its task had been lost five minutes ago (no task is published here).
    db.session.execute(
        update(Update)
        .where(Update.id == stalled.id)
        .values(
            status=UpdateStatus.SENDING,
            recipients_as_of=clock.now(),
            updated_at=clock.now() - timedelta(minutes=5),
        )
    )
    db.session.commit()
    assert sending.resume_stalled() == 1
    finish_sending(db)
    assert sending.resume_stalled() == 0
