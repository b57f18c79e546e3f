"""Counting at scale: reconciliation, the goal ladder, trending, the Redis copy, the cached page."""

import logging
import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from campaign import cache, clock
from campaign.counts import fold, read, reconcile
from campaign.counts.models import CampaignCount, CountryCount, RecentCount
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature, SignatureStatus
from tests.counts.test_fold import add_signatures
from tests.support.outbox import composed
from tests.support.run import INSTANCE
from tests.support.waiting import wait_until
from tests.support.workers import start_celery


def test_reconciliation_repairs_injected_drift_and_says_so(db, make_campaign, caplog):
    campaign = make_campaign()
    add_signatures(db, campaign, 8)
    fold.fold_signatures(batch=1000)
    assert reconcile.reconcile() == []
    # Drift: a lost update on the total, a wrong country, a counter for nobody.
    db.session.execute(update(CampaignCount).values(total=5, updated_at=clock.now() + timedelta(seconds=1)))
    db.session.execute(update(CountryCount).where(CountryCount.country == "AM").values(total=7))
    db.session.add(CountryCount(campaign_id=campaign.id, country="ZW", total=2))
    db.session.commit()

    with caplog.at_level(logging.ERROR, logger="campaign.counts.reconcile"):
        [drift] = reconcile.reconcile()
    assert (drift.counted, drift.actual) == (5, 8)
    assert "count drift on campaign" in caplog.text
    repaired = read.read_count(campaign.id)
    assert repaired.total == 8
    assert repaired.by_country == {"AM": 2, "FR": 2, "CA": 2, "US": 2}
    assert reconcile.reconcile() == []


def test_reconciliation_looks_only_at_campaigns_that_changed(db, make_campaign):
    quiet, busy = make_campaign(), make_campaign()
    add_signatures(db, quiet, 2)
    add_signatures(db, busy, 2, offset=100)
    fold.fold_signatures(batch=1000)
    reconcile.reconcile()
    # The quiet campaign's counter is wrong but nothing changed since its last recount.
    db.session.execute(update(CampaignCount).where(CampaignCount.campaign_id == quiet.id).values(total=99))
    add_signatures(db, busy, 1, offset=200)
    fold.fold_signatures(batch=1000)
    assert reconcile.reconcile() == []
    assert read.snapshot_from_database(busy.id).total == 3


def test_the_goal_raises_itself_along_the_ladder_and_the_contact_hears_once(db, make_campaign):
    assert [fold.next_goal(n) for n in (0, 999, 1000, 2500, 9999, 10_000, 60_000)] == [
        1000,
        1000,
        2500,
        5000,
        10_000,
        25_000,
        100_000,
    ]
    campaign = make_campaign(goal=5, contact_email="organizer@example.org")
    add_signatures(db, campaign, 3)
    fold.fold_signatures(batch=1000)
    assert read.read_count(campaign.id).goal == 5
    add_signatures(db, campaign, 3, offset=10)
    fold.fold_signatures(batch=1000)
    db.session.refresh(campaign)
    assert campaign.goal == 1000
    assert read.read_count(campaign.id).goal == 1000
    [notice] = composed(db)
    assert notice.recipient == "organizer@example.org"
    assert notice.subject.startswith("5 signatures")
    # An invalidation and a re-validation around the step do not notify twice.
    db.session.execute(update(CampaignCount).values(total=0))
    db.session.execute(text("UPDATE campaigns SET goal = 5"))
    db.session.commit()
    db.session.execute(update(Signature).values(is_counted=False))
    db.session.commit()
    fold.fold_signatures(batch=1000)
    assert len(db.session.execute(select(OutboxMessage)).scalars().all()) == 1


def test_the_home_page_puts_the_campaign_signed_most_in_the_last_hour_first(db, client, make_campaign):
    old_news = make_campaign(slug="old-news", title="Old news")
    viral = make_campaign(slug="viral", title="Viral")
    add_signatures(db, old_news, 50)
    add_signatures(db, viral, 5, offset=1000)
    an_hour_ago = clock.now() - timedelta(hours=2)
    db.session.execute(
        update(Signature).where(Signature.campaign_id == old_news.id).values(validated_at=an_hour_ago)
    )
    db.session.execute(
        update(Signature).where(Signature.campaign_id == viral.id).values(validated_at=clock.now())
    )
    db.session.commit()
    fold.fold_signatures(batch=1000)

    assert read.trending([old_news.id, viral.id]) == {viral.id: 5}
    page = client.get("/").get_data(as_text=True)
    assert page.index("Viral") < page.index("Old news")
    assert "5 in the last hour" in page
    assert db.session.execute(select(RecentCount)).scalars().all()


def test_count_json_is_read_from_redis_with_an_etag(db, client, make_campaign):
    campaign = make_campaign(slug="cached")
    add_signatures(db, campaign, 4)
    fold.fold_signatures(batch=1000)
    # The database row goes away: the answer still comes, from Redis.
    db.session.execute(text("DELETE FROM country_counts"))
    db.session.execute(text("DELETE FROM campaign_counts"))
    db.session.commit()
    first = client.get("/campaigns/cached/count.json")
    assert first.json["count"] == 4 and first.json["by_country"]["AM"] == 1
    etag = first.headers["ETag"]
    assert "stale-while-revalidate" in first.headers["Cache-Control"]
    again = client.get("/campaigns/cached/count.json", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_count_json_falls_back_to_the_database_when_redis_is_away(db, make_campaign):
    from campaign import create_app

    campaign = make_campaign(slug="fallback")
    add_signatures(db, campaign, 3)
    fold.fold_signatures(batch=1000)
    away = create_app({"TESTING": True, "REDIS_URL": "redis://127.0.0.1:1/0"})
    try:
        started = time.monotonic()
        answer = away.test_client().get("/campaigns/fallback/count.json")
        assert time.monotonic() - started < 1.0
        assert answer.json["count"] == 3
    finally:
        cache.forget_local()


def test_the_cached_page_fills_in_the_count_token_and_source_per_request(db, app, make_campaign):
    campaign = make_campaign(slug="page", goal=10)
    first, second = app.test_client(), app.test_client()
    one = first.get("/campaigns/page?source=tw").get_data(as_text=True)
    add_signatures(db, campaign, 2)
    fold.fold_signatures(batch=1000)
    two = second.get('/campaigns/page?source="><script>x</script>').get_data(as_text=True)
    assert 'name="source" type="hidden" value="tw"' in one
    assert 'name="source" type="hidden" value=""' in two and "<script>x" not in two
    # The form's stamp (when the page was made: the minimum fill time) is filled in, not the mark.
    stamp = 'name="shown_at" type="hidden" value="'
    assert one.split(stamp)[1][:8] and two.split(stamp)[1][:8]
    assert '<strong class="count-value">0</strong>' in one
    assert '<strong class="count-value">2</strong>' in two
    assert "\ue000" not in one + two


@pytest.mark.usefixtures("celery_worker")
def test_two_beats_at_once_count_nothing_twice(db, make_campaign):
    campaign = make_campaign()
    add_signatures(db, campaign, 600, status=SignatureStatus.PENDING)
    env = {**os.environ, "COUNTS_FOLD_SECONDS": "1"}
    with (
        start_celery("beat", env, INSTANCE / "beat-1.log"),
        start_celery("beat", env, INSTANCE / "beat-2.log"),
    ):
        ids = db.session.execute(select(Signature.id).order_by(Signature.id)).scalars().all()
        for start in range(0, len(ids), 100):  # confirmations keep arriving while both beats fold
            db.session.execute(
                update(Signature)
                .where(Signature.id.in_(ids[start : start + 100]))
                .values(status=SignatureStatus.VALIDATED, validated_at=clock.now())
            )
            db.session.commit()
            time.sleep(0.3)
        wait_until(lambda: read.snapshot_from_database(campaign.id).total == 600, timeout=30)
        time.sleep(2.5)  # both beats fold again: nothing more may be added
    db.session.expire_all()
    snapshot = read.snapshot_from_database(campaign.id)
    assert snapshot.total == 600
    assert snapshot.by_country == {"AM": 150, "CA": 150, "FR": 150, "US": 150}
    assert reconcile.reconcile() == []


def test_each_process_keeps_a_count_for_a_moment(db, app, client, make_campaign):
    campaign = make_campaign(slug="moment")
    app.config["COUNT_LOCAL_SECONDS"] = 1
    try:
        assert client.get("/campaigns/moment/count.json").json["count"] == 0
        add_signatures(db, campaign, 2)
        fold.fold_signatures(batch=1000)
        assert client.get("/campaigns/moment/count.json").json["count"] == 0
        wait_until(lambda: client.get("/campaigns/moment/count.json").json["count"] == 2, timeout=3)
    finally:
        app.config["COUNT_LOCAL_SECONDS"] = 0


def test_a_fold_finds_the_few_changed_signatures_by_its_index_among_many_counted(db, make_campaign):
    # A fold runs every few seconds whatever changed: at a million signatures, reading the whole
    # table to find the few to fold cost a quarter of a second each time (PostgreSQL).
    campaign = make_campaign()
    db.session.execute(
        text(
            "INSERT INTO people (email_index, created_at) "
            "SELECT md5('scan-' || i) || md5(i::text), now() FROM generate_series(1, 20000) AS i"
        )
    )
    db.session.execute(
        text(
            "INSERT INTO signatures (campaign_id, person_id, status, masked_name, country, is_comment_public,"
            " has_email_opt_in, consent_version, is_counted, created_at, validated_at) "
            "SELECT :campaign, id, 'validated', 'A. P.', 'AM', false, false, 'v1', true, now(), now() "
            "FROM people"
        ),
        {"campaign": campaign.id},
    )
    add_signatures(db, campaign, 3)
    db.session.execute(text("ANALYZE signatures"))
    claim = fold.claimable(1000).compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {claim}")))
    assert "ix_signatures_to_fold" in plan and "Seq Scan" not in plan, plan
    assert fold.fold_signatures(batch=1000) == 3
