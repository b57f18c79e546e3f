"""Deletion on schedule: each rule removes exactly what it should and nothing else."""

from datetime import timedelta

from sqlalchemy import func, select

from campaign import clock
from campaign.campaigns.models import CampaignStatus
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.privacy import retention
from campaign.signing.models import Person, Signature, SignatureStatus
from tests.support.signers import add_signature

DAY = timedelta(days=1)


def test_unconfirmed_signatures_go_once_their_link_expired_and_nothing_else(db, make_campaign):
    campaign = make_campaign()
    now = clock.now()
    old_pending = add_signature(
        db, campaign.id, "old@example.org", status=SignatureStatus.PENDING, created_at=now - 15 * DAY
    )
    new_pending = add_signature(
        db, campaign.id, "new@example.org", status=SignatureStatus.PENDING, created_at=now - 13 * DAY
    )
    old_confirmed = add_signature(db, campaign.id, "kept@example.org", created_at=now - 400 * DAY)
    old_pending_id = old_pending.id

    swept = retention.run(now)

    remaining = set(db.session.execute(select(Signature.id)).scalars())
    assert remaining == {new_pending.id, old_confirmed.id}
    assert old_pending_id not in remaining
    assert swept.unconfirmed_deleted == 1 and swept.people_deleted == 1
    assert db.session.execute(select(func.count(Person.id))).scalar_one() == 2


def test_client_hashes_are_cleared_after_thirty_days(db, make_campaign):
    campaign = make_campaign()
    now = clock.now()
    where = {"client_hash": "a" * 64, "client_range_hash": "c" * 64, "client_range_sealed": b"sealed range"}
    old = add_signature(db, campaign.id, "old@example.org", created_at=now - 31 * DAY, **where)
    recent = add_signature(db, campaign.id, "new@example.org", created_at=now - 29 * DAY, **where)

    assert retention.run(now).client_hashes_cleared == 1

    db.session.expire_all()
    cleared = db.session.get(Signature, old.id)
    assert (cleared.client_hash, cleared.client_range_hash, cleared.client_range_sealed) == (None, None, None)
    kept = db.session.get(Signature, recent.id)
    assert (kept.client_hash, kept.client_range_hash) == ("a" * 64, "c" * 64)


def test_signatures_of_a_campaign_ended_six_months_ago_are_anonymised_and_still_count(db, make_campaign):
    now = clock.now()
    ended = make_campaign(status=CampaignStatus.CLOSED, closed_at=now - 183 * DAY)
    recently = make_campaign(status=CampaignStatus.CLOSED, closed_at=now - 100 * DAY)
    past_deadline = make_campaign(closes_at=now - 200 * DAY)
    running = make_campaign()
    gone = add_signature(db, ended.id, "a@example.org", region="CA-QC", has_email_opt_in=True)
    deadline = add_signature(db, past_deadline.id, "b@example.org")
    kept = add_signature(db, recently.id, "c@example.org")
    open_one = add_signature(db, running.id, "a@example.org")

    assert retention.run(now).signatures_anonymised == 2

    db.session.expire_all()
    for signature_id in (gone.id, deadline.id):
        signature = db.session.get(Signature, signature_id)
        assert (signature.sealed, signature.person_id, signature.masked_name) == (None, None, None)
        assert signature.status == SignatureStatus.VALIDATED and signature.anonymised_at is not None
    anonymous = db.session.get(Signature, gone.id)
    assert (anonymous.country, anonymous.region, anonymous.has_email_opt_in) == ("CA", "CA-QC", False)
    for signature_id in (kept.id, open_one.id):
        assert db.session.get(Signature, signature_id).personal.email.endswith("@example.org")
    # b@ signed nothing else: gone; a@ still has a signature on a running campaign: kept.
    assert db.session.execute(select(func.count(Person.id))).scalar_one() == 2


def test_what_sent_messages_said_is_not_kept(db, make_campaign, sign):
    make_campaign(slug="recognize")
    sign("recognize")
    row = db.session.execute(select(OutboxMessage)).scalar_one()
    row.status = OutboxStatus.SENT
    db.session.commit()
    from campaign.mail import service as mail

    mail.write(kind="notice", dedupe_key="n1", recipient="staff@example.org", subject="s", body="b")
    db.session.execute(OutboxMessage.__table__.update().values(status="sent"))
    db.session.commit()

    assert retention.run().outbox_cleared == 1
    assert all(row.sealed is None for row in db.session.execute(select(OutboxMessage)).scalars())
