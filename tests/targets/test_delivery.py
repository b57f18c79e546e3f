"""Letters to officials, from the sign form to their inboxes, through a real worker and SMTP server."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from campaign import clock
from campaign.mail import sending as mail
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.signing.models import Signature
from campaign.targets import bounces, delivery
from campaign.targets import service as targets
from campaign.targets.models import Letter, Official
from tests.support.waiting import wait_until

pytestmark = pytest.mark.usefixtures("celery_worker")

ROUTED_TO_ONTARIO = ("ca-foreign@example.org", "ca-trade@example.org", "ca-on@example.org")
ELSEWHERE = ("ca-qc@example.org", "fr@example.org")


def letter_rows(db):
    db.session.expire_all()
    return (
        db.session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "letter").order_by(OutboxMessage.id)
        )
        .scalars()
        .all()
    )


def test_nothing_reaches_an_official_before_confirmation_and_each_gets_one_letter_after(
    db, client, mailbox, officials, make_letter_campaign, sign, confirm_link
):
    make_letter_campaign()
    answer = sign(
        "letters",
        email="writer@example.org",
        given_name="Anahit",
        family_name="Petrosyan",
        country="CA",
        region="CA-ON",
        message="My cousin lives near the line of contact.",
    )
    assert answer.status_code == 303
    mailbox.wait_for("writer@example.org")  # the confirmation email went out...
    assert letter_rows(db) == []  # ...but nothing is owed to any official yet
    assert all(mailbox.to(address) == [] for address in ROUTED_TO_ONTARIO)

    assert confirm_link("writer@example.org").status_code == 303

    for address in ROUTED_TO_ONTARIO:
        [letter] = mailbox.wait_for(address)
        body = letter.get_content()
        assert "My cousin lives near the line of contact." in body
        assert "Anahit Petrosyan" in body and "Ontario, Canada" in body
        assert letter["From"].addresses[0].display_name == "Anahit Petrosyan"
        assert letter["From"].addresses[0].addr_spec == "campaigns@example.org"
        assert letter["Reply-To"] is None  # no consent, no address
        assert "writer@example.org" not in str(letter)
        assert letter["Subject"] == "Suspend the permits, from Anahit Petrosyan"
    assert "Dear Morgan Ontario," in mailbox.to("ca-on@example.org")[0].get_content()
    assert all(mailbox.to(address) == [] for address in ELSEWHERE)

    # Confirming and signing again owe nothing more.
    assert confirm_link("writer@example.org").status_code == 303
    sign("letters", email="writer@example.org", country="CA", region="CA-ON", message="Again!")
    with client.application.app_context():
        mail.sweep()
        signature_id, campaign_id = db.session.execute(select(Signature.id, Signature.campaign_id)).one()
        outreach = delivery.outreach_of(signature_id)
        assert sorted(official.email for official in outreach.targets) == sorted(ROUTED_TO_ONTARIO)
        assert "My cousin lives near the line of contact." in outreach.message
        assert delivery.total_outreaches(campaign_id) == 1
    wait_until(lambda: all(r.status == OutboxStatus.SENT for r in letter_rows(db)))
    assert len(letter_rows(db)) == 3
    assert [len(mailbox.to(address)) for address in ROUTED_TO_ONTARIO] == [1, 1, 1]


def test_reply_to_is_the_signer_only_with_consent(
    app, db, mailbox, officials, make_letter_campaign, make_signature
):
    letter = make_letter_campaign(targets=[officials["fr"]], hourly_cap=3600)  # one a second
    agreed = make_signature(letter.campaign_id, "agreed@example.org", given_name="Ani", family_name="Agreed")
    declined = make_signature(letter.campaign_id, "declined@example.org", given_name="Dan", family_name="No")
    with app.test_request_context():
        targets.record_reply_consent(agreed.id)
        assert targets.write_letters(agreed.id) == 1
        assert targets.write_letters(declined.id) == 1
        db.session.commit()
    mailbox.wait_for("fr@example.org")
    wait_until(lambda: letter_rows(db)[1].next_attempt_at <= clock.now())
    with app.app_context():
        assert mail.sweep() == 1

    received = mailbox.wait_for("fr@example.org", count=2)
    by_sender = {m["From"].addresses[0].display_name: m for m in received}
    assert by_sender["Ani Agreed"]["Reply-To"] == "Ani Agreed <agreed@example.org>"
    assert by_sender["Dan No"]["Reply-To"] is None


def test_the_hourly_cap_spreads_letters_and_the_sweep_sends_them_when_due(
    app, db, mailbox, officials, make_letter_campaign, make_signature
):
    letter = make_letter_campaign(targets=[officials["fr"]], hourly_cap=4)  # one every 15 minutes
    signatures = [make_signature(letter.campaign_id, f"s{n}@example.org") for n in range(3)]
    now = clock.now()
    with app.test_request_context():
        for signature in signatures:
            targets.write_letters(signature.id, now)
        db.session.commit()

    rows = sorted(letter_rows(db), key=lambda r: r.id)
    assert [r.next_attempt_at - now for r in rows] == [
        timedelta(0),
        timedelta(minutes=15),
        timedelta(minutes=30),
    ]
    mailbox.wait_for("fr@example.org")
    wait_until(lambda: letter_rows(db)[0].status == OutboxStatus.SENT)

    # A pump started before the row is due does not send it early; nor does the sweep start one for it.
    with app.app_context():
        assert mail.pump(batch=50, seconds=5) == 0
        assert mail.sweep() == 0
    assert len(mailbox.to("fr@example.org")) == 1
    db.session.expire_all()
    assert db.session.get(OutboxMessage, rows[1].id).status == OutboxStatus.PENDING
    assert db.session.get(OutboxMessage, rows[1].id).attempts == 0

    # Fifteen minutes later the sweep hands it over.
    db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == rows[1].id).values(next_attempt_at=clock.now())
    )
    db.session.commit()
    with app.app_context():
        assert mail.sweep() == 1
    mailbox.wait_for("fr@example.org", count=2)
    assert len(mailbox.to("fr@example.org")) == 2


def test_two_campaigns_writing_to_one_official_share_its_hourly_cap(
    app, db, officials, make_letter_campaign, make_signature
):
    first = make_letter_campaign(slug="first", targets=[officials["fr"]], hourly_cap=4)
    second = make_letter_campaign(slug="second", targets=[officials["fr"]], hourly_cap=4)
    now = clock.now()
    with app.test_request_context():
        for campaign_id, email in [
            (first.campaign_id, "a@example.org"),
            (second.campaign_id, "b@example.org"),
            (first.campaign_id, "c@example.org"),
        ]:
            targets.write_letters(make_signature(campaign_id, email).id, now)
        db.session.commit()
    rows = sorted(letter_rows(db), key=lambda r: r.id)
    # One inbox, one pace: the second campaign's letter waits its turn behind the first's.
    assert [r.next_attempt_at - now for r in rows] == [
        timedelta(0),
        timedelta(minutes=15),
        timedelta(minutes=30),
    ]


def test_a_permanent_refusal_marks_the_address_bad_stops_its_letters_and_tells_the_organizer(
    app, db, mailbox, officials, make_letter_campaign, make_signature
):
    letter = make_letter_campaign(hourly_cap=1, contact_email="organizer@example.org")
    mailbox.refuse("ca-on@example.org", "550 5.1.1 No such user")
    first = make_signature(letter.campaign_id, "first@example.org")
    second = make_signature(letter.campaign_id, "second@example.org")
    with app.test_request_context():
        targets.write_letters(first.id)
        targets.write_letters(second.id)  # an hour later under this cap
        db.session.commit()

    [notice] = mailbox.wait_for("organizer@example.org")
    assert "Morgan Ontario" in notice["Subject"]
    db.session.expire_all()
    official = db.session.get(Official, officials["ca-on"].id)
    assert official.is_paused and official.bad_since is not None
    owed = db.session.execute(
        select(OutboxMessage)
        .join(Letter, Letter.outbox_id == OutboxMessage.id)
        .where(Letter.official_id == official.id, Letter.signature_id == second.id)
    ).scalar_one()
    assert owed.status == OutboxStatus.FAILED and owed.last_error == bounces.BAD_ADDRESS
    mailbox.wait_for("ca-foreign@example.org")  # the others still get theirs

    # A new signer's letters skip the bad address.
    third = make_signature(letter.campaign_id, "third@example.org")
    with app.test_request_context():
        assert targets.write_letters(third.id) == 2
        db.session.commit()
    with app.app_context():
        status = {row.official.name: row.counts for row in delivery.delivery_status(letter.campaign_id)}
    assert status["Morgan Ontario"] == {"bounced": 1, "failed": 1}
    assert sum(status["Alex Federal"].values()) == 3
    assert mailbox.to("ca-on@example.org") == []
    assert len(mailbox.to("organizer@example.org")) == 1


def test_a_signers_name_cannot_forge_a_header(
    app, db, mailbox, officials, make_letter_campaign, make_signature
):
    letter = make_letter_campaign(targets=[officials["fr"]])
    signature = make_signature(
        letter.campaign_id, "eve@example.org", given_name="Eve\r\nBcc: victim@example.org", family_name="X"
    )
    with app.test_request_context():
        targets.write_letters(signature.id)
        db.session.commit()
    [received] = mailbox.wait_for("fr@example.org")
    headers = received.as_string().split("\n\n", 1)[0]
    assert "\nBcc:" not in headers and received["Bcc"] is None
    assert "Eve Bcc: victim@example.org X" in received.get_content()  # one line, in the body only
    assert received["From"].addresses[0].addr_spec == "campaigns@example.org"
    assert [envelope for envelope in mailbox.envelopes if "victim@example.org" in envelope] == []
    assert "\n" not in received["Subject"]
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Signature)).scalar_one() == 1
