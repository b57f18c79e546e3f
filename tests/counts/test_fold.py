"""Folding signatures into the counters: each exactly once, even with folders racing (PostgreSQL)."""

import threading

from sqlalchemy import select, update

from campaign.counts import fold, read
from campaign.signing import confirmation as signing
from campaign.signing.models import Signature, SignatureStatus
from tests.support.counts import fold_all
from tests.support.signers import add_signatures_in_bulk
from tests.support.waiting import wait_until

COUNTRIES = ["AM", "FR", "CA", "US"]


def add_signatures(db, campaign, count, status=SignatureStatus.VALIDATED, offset=0):
    """Insert `count` signatures directly, spread over four countries."""
    add_signatures_in_bulk(
        db,
        campaign.id,
        [
            {"email": f"p{offset + i}-{campaign.id}@example.org", "country": COUNTRIES[i % 4]}
            for i in range(count)
        ],
        status,
    )


def test_validated_signatures_are_counted_once_and_pending_ones_not(db, make_campaign):
    campaign = make_campaign()
    add_signatures(db, campaign, 10)
    add_signatures(db, campaign, 3, status=SignatureStatus.PENDING, offset=100)

    assert fold.fold_signatures(batch=1000) == 10
    assert fold.fold_signatures(batch=1000) == 0
    snapshot = read.read_count(campaign.id)
    assert snapshot.total == 10
    assert snapshot.by_country == {"AM": 3, "FR": 3, "CA": 2, "US": 2}


def test_invalidation_subtracts_and_confirmation_adds(db, make_campaign):
    campaign = make_campaign()
    add_signatures(db, campaign, 4)
    fold.fold_signatures(batch=1000)
    first = db.session.execute(select(Signature.id).order_by(Signature.id)).scalars().first()

    assert signing.invalidate(first)
    assert not signing.invalidate(first)
    db.session.commit()
    # The invalidation asked a worker to fold: the run's own, if one is up, may take it first.
    fold_all(db)
    snapshot = read.read_count(campaign.id)
    assert snapshot.total == 3
    assert snapshot.by_country == {"FR": 1, "CA": 1, "US": 1}


def test_a_signature_invalidated_before_it_was_counted_never_counts(db, make_campaign):
    campaign = make_campaign()
    add_signatures(db, campaign, 2)
    db.session.execute(update(Signature).values(status=SignatureStatus.INVALIDATED))
    db.session.commit()
    assert fold.fold_signatures(batch=1000) == 0
    assert read.read_count(campaign.id).total == 0


def test_folders_racing_count_every_signature_exactly_once(app, db, make_campaign):
    campaigns = [make_campaign(), make_campaign()]
    for index, campaign in enumerate(campaigns):
        add_signatures(db, campaign, 1500, offset=index * 10_000)
    folded = []

    def fold_until_done() -> None:
        with app.app_context():
            while n := fold.fold_signatures(batch=50):
                folded.append(n)

    threads = [threading.Thread(target=fold_until_done) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # The session's worker may be folding some of them too (rows it holds are
    # skipped here): the counters are what must end exact, never over.
    assert 0 < sum(folded) <= 3000
    for campaign in campaigns:
        wait_until(lambda c=campaign: read.snapshot_from_database(c.id).total >= 1500)
        snapshot = read.snapshot_from_database(campaign.id)
        assert snapshot.total == 1500
        assert sum(snapshot.by_country.values()) == 1500
    assert fold.fold_signatures(batch=1000) == 0


def test_count_json_reads_the_counter_not_the_signatures(db, client, make_campaign):
    campaign = make_campaign(slug="counted", goal=50)
    add_signatures(db, campaign, 5)
    before = client.get("/campaigns/counted/count.json").json
    assert before == {"slug": "counted", "count": 0, "goal": 50, "by_country": {}, "updated_at": None}
    fold.fold_signatures(batch=1000)
    after = client.get("/campaigns/counted/count.json")
    assert after.json["count"] == 5
    assert after.headers["Content-Type"] == "application/json"
    assert "max-age" in after.headers["Cache-Control"]
