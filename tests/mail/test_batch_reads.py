"""A pump reads what a batch of signers' messages need at once, before sending them: each is still
written from its own signature, and one whose signature changed before its batch was claimed (it
was confirmed meanwhile) is not sent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from campaign import clock
from campaign.mail import sending
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.signing import confirmation, service
from campaign.signing.service import SignatureRequest


def test_a_batch_of_confirmations_is_sent_but_for_the_signature_confirmed_before_it(
    app, db, mailbox, make_campaign
):
    campaign = make_campaign(slug="batch-reads", title="Recognize Artsakh")
    with app.test_request_context():
        signed = [
            service.sign(
                campaign, SignatureRequest("Anahit", "P", f"reader{n}@example.org", "AM", language=lang)
            )
            for n, lang in enumerate(("en", "fr", "hy"))
        ]
        # Owed for later, so that no worker sends them: this process does, below.
        db.session.execute(update(OutboxMessage).values(next_attempt_at=clock.now() + timedelta(hours=1)))
        db.session.commit()
        confirmation.confirm(signed[1].signature_id)  # through an earlier email, say
        db.session.execute(update(OutboxMessage).values(next_attempt_at=clock.now()))
        db.session.commit()

    with app.app_context():
        assert sending.pump(batch=10, seconds=10) == 3
        # Nor does the pump leave its batch's reads open (their locks would hold up a migration).
        assert not db.session().in_transaction()

    [english] = mailbox.wait_for("reader0@example.org")
    [armenian] = mailbox.wait_for("reader2@example.org")
    assert english["Subject"] == "Please confirm your signature: Recognize Artsakh"
    # Each written from its own signature (its language), though read with the others.
    assert armenian["Subject"].endswith("Recognize Artsakh") and armenian["Subject"] != english["Subject"]
    assert mailbox.to("reader1@example.org") == []
    db.session.expire_all()
    outcomes = db.session.execute(select(OutboxMessage.ref_id, OutboxMessage.status))
    assert dict(outcomes.all()) == {
        signed[0].signature_id: OutboxStatus.SENT,
        signed[1].signature_id: OutboxStatus.FAILED,
        signed[2].signature_id: OutboxStatus.SENT,
    }
