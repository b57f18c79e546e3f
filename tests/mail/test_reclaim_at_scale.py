"""Putting back what dead workers left sending, with a large outbox: the server's lock table stays small.

PostgreSQL shares one lock table among every database it serves (about
max_locks_per_transaction x max_connections entries). The sweep tries an
advisory lock on each row left sending; were it to try one for every row of
the outbox, a backlog of tens of thousands of messages would fill that table
and every database on the server would answer "out of shared memory" (a
10-minute soak did exactly that before the query said in which order to test).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text

from campaign import claims, clock
from campaign.exports import files as exports
from campaign.mail import sending
from campaign.mail.models import OutboxMessage, OutboxStatus
from tests.support.plans import generic_plans, rows_read

BACKLOG = 3000
# A claim key no live pump holds: its pump died.
DEAD_PUMP = 2_000_000_001


def own_advisory_locks(db: Any) -> int:
    """How many advisory locks this session holds now."""
    return int(
        db.session.execute(
            text("SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'advisory'")
        ).scalar_one()
    )


def test_the_sweep_tries_the_locks_of_sending_rows_only(app, db):
    db.session.execute(
        text("""
        INSERT INTO outbox (kind, dedupe_key, status, attempts, next_attempt_at, message_id, created_at)
        SELECT 'confirmation', 'backlog:' || n, 'pending', 0, now(), '<' || n || '@example.org>', now()
        FROM generate_series(1, :backlog) AS n
        """),
        {"backlog": BACKLOG},
    )
    db.session.execute(
        text("""
        INSERT INTO outbox (kind, dedupe_key, status, attempts, next_attempt_at, message_id, created_at,
                            claim_key, claimed_at)
        SELECT 'confirmation', 'left:' || n, 'sending', 1, now(), '<left' || n || '@example.org>', now(),
               :key, now()
        FROM generate_series(1, 3) AS n
        """),
        {"key": DEAD_PUMP},
    )
    db.session.execute(text("ANALYZE outbox"))
    db.session.commit()

    # The query itself, in an open transaction: one lock, the dead pump's key, however big the outbox.
    orphans = db.session.execute(sending.OUTBOX.orphaned()).scalars().all()
    assert len(orphans) == 3
    assert own_advisory_locks(db) == 1
    db.session.rollback()
    db.session.execute(exports._ORPHANED_EXPORTS).all()
    assert own_advisory_locks(db) == 0
    db.session.rollback()

    # And what the sweep does with them: the three go back to pending, to be sent again.
    assert sending.reclaim_orphans() == 3
    pending = db.session.execute(
        select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
    ).scalar_one()
    assert pending == BACKLOG + 3


def test_a_pump_finds_the_mail_owed_by_its_index_whatever_plan_was_kept(app, db):
    # The partial index holds only the rows owed. psycopg prepares a statement run often and
    # PostgreSQL may keep one generic plan for it: with the status a parameter, that plan could
    # not use the index, and each claim and each sweep would read every message ever sent.
    db.session.execute(
        text("""
        INSERT INTO outbox (kind, dedupe_key, status, attempts, next_attempt_at, message_id, created_at)
        SELECT 'confirmation', 'sent:' || n, CASE WHEN n <= 2 THEN 'pending' ELSE 'sent' END, 1,
               now() - interval '1 minute', '<sent' || n || '@example.org>', now()
        FROM generate_series(1, :backlog) AS n
        """),
        {"backlog": BACKLOG},
    )
    db.session.execute(text("ANALYZE outbox"))
    with generic_plans(db):
        before = rows_read(db, "outbox")
        assert claims.count(sending.OUTBOX.due(clock.now()), 21) == 2
        read = rows_read(db, "outbox") - before
        assert read < 10, f"counting the mail owed read {read} rows of the outbox"
