"""A claim takes one batch, whatever plan PostgreSQL picks for it.

Pumps share a backlog by claiming a few rows at a time, and the fold folds a
bounded batch per transaction. Both pick their rows with LIMIT and FOR UPDATE
SKIP LOCKED. Written as `UPDATE ... WHERE id IN (that subquery)`, PostgreSQL
ran the subquery again for each row it updated whenever its statistics said
the table was small (a table that grew since its last ANALYZE, as at the start
of a surge): each run skipped the rows just updated and picked the next ones,
so one pump claimed a whole backlog while the other worker processes idled
(1,000 rows for a batch of 20 in `make bench`). The outbox tests grow the
table without an ANALYZE, as a surge does, which gave that plan here; the fold
runs the same shape of statement, and its test holds it to its batch. And a
pump with a backlog starts one more pump, not one at every batch (most of
those found nothing once the backlog was sent).
"""

from __future__ import annotations

import threading
from typing import Any

from celery.signals import before_task_publish
from sqlalchemy import func, select, text

from campaign import claims
from campaign.counts import fold
from campaign.mail import sending
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.mail.service import PUMP_TASK
from campaign.signing.models import Signature, SignatureStatus
from tests.support.signers import add_signatures_in_bulk

BACKLOG = 300


def owe_backlog(db: Any, count: int) -> None:
    """`count` messages owed and due, written at once (the planner's statistics still say: empty)."""
    db.session.execute(
        text("""
        INSERT INTO outbox (kind, dedupe_key, status, attempts, next_attempt_at, message_id, created_at)
        SELECT 'confirmation', 'backlog:' || n, 'pending', 0, now() - interval '1 minute',
               '<backlog' || n || '@example.org>', now()
        FROM generate_series(1, :count) AS n
        """),
        {"count": count},
    )
    db.session.commit()


def in_status(db: Any, status: OutboxStatus) -> int:
    """How many outbox rows are in this status."""
    return int(db.session.execute(select(func.count()).where(OutboxMessage.status == status)).scalar_one())


def test_a_pump_claims_one_batch_of_a_backlog(app, db):
    owe_backlog(db, BACKLOG)
    batch = app.config["OUTBOX_CLAIM_BATCH"]

    with claims.pumping() as holder:
        claimed = sending._claim_some(holder)

    assert len(claimed) == batch
    assert in_status(db, OutboxStatus.SENDING) == batch
    assert in_status(db, OutboxStatus.PENDING) == BACKLOG - batch
    # Only the claimed rows spent an attempt.
    spent = db.session.execute(select(func.count()).where(OutboxMessage.attempts > 0)).scalar_one()
    assert spent == batch


def test_two_pumps_at_once_claim_different_batches(app, db):
    owe_backlog(db, BACKLOG)
    batch = app.config["OUTBOX_CLAIM_BATCH"]
    first_claimed = threading.Event()
    results: dict[str, list[int]] = {}

    def claim(name: str, wait: threading.Event | None) -> None:
        """Claim once in an app context of its own (a pump of another worker process)."""
        with app.app_context(), claims.pumping() as holder:
            if wait is not None:
                wait.wait(10)
            results[name] = [row.id for row in sending._claim_some(holder)]
            if wait is None:
                first_claimed.set()

    threads = [
        threading.Thread(target=claim, args=("first", None)),
        threading.Thread(target=claim, args=("second", first_claimed)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    # The first pump left the rest of the backlog to the second.
    assert len(results["first"]) == batch
    assert len(results["second"]) == batch
    assert not set(results["first"]) & set(results["second"])


def test_a_pump_with_a_backlog_starts_one_more_pump_not_one_per_batch(app, db):
    # Rows that name nothing to write are given up at once (no mail): the pump runs through
    # the backlog quickly, checking for a backlog as it goes.
    owe_backlog(db, BACKLOG)
    published: list[str] = []

    def count(sender: str | None = None, **_: Any) -> None:
        """Note each task this process hands to the broker."""
        published.append(str(sender))

    before_task_publish.connect(count, weak=False)
    try:
        handled = sending.pump(batch=20, seconds=60)
    finally:
        before_task_publish.disconnect(count)

    # It went through the backlog (beside the pump it started, if a worker of this run took that
    # one) and queued that one pump, not one more at every batch.
    assert handled > 0
    assert in_status(db, OutboxStatus.PENDING) == 0
    assert published.count(PUMP_TASK) == 1


def test_a_fold_folds_one_batch_at_a_time(app, db, make_campaign):
    campaign = make_campaign()
    rows = [{"email": f"signer{n}@example.org", "country": "AM"} for n in range(120)]
    add_signatures_in_bulk(db, campaign.id, rows, status=SignatureStatus.VALIDATED)
    db.session.commit()

    assert fold.fold_signatures(batch=25) == 25
    counted = db.session.execute(select(func.count()).where(Signature.is_counted.is_(True))).scalar_one()
    assert counted == 25
    # The rest is folded by the next batches, each signature once.
    while fold.fold_signatures(batch=25):
        pass
    counted = db.session.execute(select(func.count()).where(Signature.is_counted.is_(True))).scalar_one()
    assert counted == 120
