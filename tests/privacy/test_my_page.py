"""The supporter's own page: see what is held, withdraw, stop email, erase; a GET changes nothing."""

import re

from sqlalchemy import func, select

from campaign.counts import read
from campaign.mail import suppressions
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Person, Signature, SignatureStatus
from tests.support.counts import fold_all
from tests.support.forms import csrf_token, post_form
from tests.support.outbox import bodies, composed, rows
from tests.support.waiting import wait_until


def my_path(db):
    """The link to the supporter's own page, from the confirmation email."""
    return re.search(r"http://localhost(/my/\S+)", bodies(db, "confirmation")[-1]).group(1)


def confirm(client, db):
    path = re.search(r"http://localhost(/confirm/\S+)", bodies(db, "confirmation")[-1]).group(1)
    page = client.get(path)
    client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})


def press(client, path, button_path):
    page = client.get(path)
    return client.post(button_path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})


def test_the_page_shows_each_signature_its_status_and_the_consent_wording_and_changes_nothing(
    db, client, make_campaign, sign
):
    make_campaign(slug="recognize", title="Recognize Artsakh")
    sign("recognize", email_opt_in="y")
    path = my_path(db)
    before = db.session.execute(select(Signature.status, Signature.has_email_opt_in)).all()

    page = client.get(path)

    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Recognize Artsakh" in html and "waiting for your confirmation" in html
    assert "Email me updates about this campaign" in html and "2026-12" in html
    db.session.expire_all()
    assert db.session.execute(select(Signature.status, Signature.has_email_opt_in)).all() == before


def test_withdrawing_drops_the_count_and_the_sealed_data(db, client, make_campaign, sign):
    campaign = make_campaign(slug="recognize")
    sign("recognize")
    path = my_path(db)
    confirm(client, db)
    fold_all(db)
    assert read.read_count(campaign.id).total == 1
    [signature] = db.session.execute(select(Signature)).scalars().all()
    assert "Check that it was counted" in client.get(path).get_data(as_text=True)

    answer = press(client, path, f"{path}/withdraw/{signature.id}")

    assert answer.status_code == 303
    db.session.expire_all()
    signature = db.session.get(Signature, signature.id)
    assert signature.status == SignatureStatus.INVALIDATED and signature.removal_reason == "withdrawn"
    assert signature.sealed is None and signature.masked_name is None
    fold_all(db)
    assert read.read_count(campaign.id).total == 0
    page = client.get(path).get_data(as_text=True)
    assert "withdrawn" in page
    # Its receipt is still there to read, but it no longer counts: the link does not say it does.
    assert "See what the public ledger records of it" in page and "Check that it was counted" not in page


def test_someone_elses_signature_cannot_be_withdrawn(db, client, make_campaign, sign):
    make_campaign(slug="recognize")
    sign("recognize", email="first@example.org")
    mine = my_path(db)
    sign("recognize", email="second@example.org")
    theirs = max(db.session.execute(select(Signature.id)).scalars())

    assert press(client, mine, f"{mine}/withdraw/{theirs}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Signature, theirs).status == SignatureStatus.PENDING


def test_erasing_takes_a_confirmation_step_then_removes_the_person_and_unsent_mail(
    db, client, make_campaign, sign
):
    campaign = make_campaign(slug="recognize")
    sign("recognize")
    path = my_path(db)
    confirm(client, db)
    fold_all(db)
    sign("recognize")  # a repeat: an "already signed" note is owed, not yet sent

    assert client.get(f"{path}/erase").status_code == 200
    db.session.expire_all()
    assert db.session.execute(select(func.count(Person.id))).scalar_one() == 1

    answer = press(client, f"{path}/erase", f"{path}/erase")

    assert answer.status_code == 200 and "erased" in answer.get_data(as_text=True).lower()
    # No stop was asked for: the page promises no silence it will not keep.
    said = " ".join(answer.get_data(as_text=True).split())
    assert "we will not write to you again" not in said
    assert "If this address is used to sign again, we will write to it once to ask for confirmation" in said
    db.session.expire_all()
    assert db.session.execute(select(func.count(Person.id))).scalar_one() == 0
    [signature] = db.session.execute(select(Signature)).scalars().all()
    assert (signature.person_id, signature.sealed, signature.removal_reason) == (None, None, "erased")
    assert composed(db) == []  # nothing owed is written any more
    assert all(row.sealed is None for row in db.session.execute(select(OutboxMessage)).scalars())
    fold_all(db)
    assert read.read_count(campaign.id).total == 0
    assert client.get(path).status_code == 400  # the link names no one now


def test_stop_all_email_unsubscribes_from_every_campaign(db, client, make_campaign, sign):
    make_campaign(slug="one")
    make_campaign(slug="two")
    sign("one", email_opt_in="y")
    sign("two", email_opt_in="y")
    path = my_path(db)

    press(client, path, f"{path}/stop-email")

    db.session.expire_all()
    assert not any(db.session.execute(select(Signature.has_email_opt_in)).scalars())
    assert suppressions.is_stopped(db.session.execute(select(Person.email_index)).scalar_one())


def test_the_link_is_sent_again_only_to_a_known_address_and_the_answer_is_the_same(
    db, client, make_campaign, sign
):
    make_campaign(slug="recognize")
    sign("recognize", email="known@example.org")
    page = client.get("/my/")
    token = csrf_token(page.get_data(as_text=True))

    known = client.post("/my/", data={"csrf_token": token, "email": "Known@Example.org"})
    unknown = client.post("/my/", data={"csrf_token": token, "email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
    # The same work either way (one row owed each), so the time of the answer tells nothing;
    # only the known address's row is ever written into a mail, to the address that signed.
    assert len(rows(db, "my-link")) == 2
    [link] = composed(db, "my-link")
    assert link.recipient == "known@example.org" and "/my/" in link.body


def test_the_link_is_written_in_the_language_they_signed_in(db, client, make_campaign):
    make_campaign(slug="recognize")
    signer = {"given_name": "Anahit", "family_name": "P", "email": "known@example.org", "country": "FR"}
    assert client.post("/campaigns/recognize/sign?lang=fr", data=signer).status_code == 303
    assert post_form(client, "/my/?lang=en", email="known@example.org").status_code == 200

    [link] = composed(db, "my-link")
    assert link.subject.startswith("Vos signatures") and "les données que nous détenons" in link.subject
    assert "/my/" in link.body and "lang=fr" in link.body


def test_an_altered_or_expired_link_opens_nothing(app, db, client, make_campaign, sign):
    make_campaign(slug="recognize")
    sign("recognize")
    path = my_path(db)
    assert client.get(path[:-3] + "xyz").status_code == 400
    app.config["MY_TOKEN_MAX_AGE"] = -1
    try:
        assert client.get(path).status_code == 400
    finally:
        app.config["MY_TOKEN_MAX_AGE"] = 30 * 24 * 3600


def test_a_hostile_address_gets_a_clear_400_and_nothing_is_sent(db, client):
    token = csrf_token(client.get("/my/").get_data(as_text=True))
    hostile_addresses = ["nul\x00@example.org", "a@b.org\r\nBcc: v@x.org", "x" * 400 + "@example.org", ""]
    for hostile in hostile_addresses:
        answer = client.post("/my/", data={"csrf_token": token, "email": hostile})
        assert answer.status_code == 400, hostile
        assert "Please" in answer.get_data(as_text=True), hostile
    assert composed(db) == []


def counted_then_withdrawn(client, db, slug):
    """Confirm the campaign's one signature, see it counted, withdraw it from the signer's page and
    see it leave the public count (the run's worker folds both)."""
    path = my_path(db)
    confirm(client, db)
    count = lambda: client.get(f"/campaigns/{slug}/count.json").json["count"]  # noqa: E731
    wait_until(lambda: count() == 1, timeout=15)
    signature_id = db.session.execute(select(Signature.id)).scalar_one()

    press(client, path, f"{path}/withdraw/{signature_id}")

    wait_until(lambda: count() == 0, timeout=10)


def test_a_withdrawal_leaves_the_public_count_within_seconds(db, client, make_campaign, sign, celery_worker):
    make_campaign(slug="recognize")
    sign("recognize")
    counted_then_withdrawn(client, db, "recognize")
