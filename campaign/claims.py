"""Claiming rows of an outbox-shaped table for one pump, and putting back what a dead pump left sending.

Mail's outbox and the webhooks' deliveries are sent the same way. A pump
claims a few rows at a time, just before it sends them: the rows go from
pending to sending (attempts + 1) in one transaction of their own. Each is
then sent and its outcome committed on its own, so a worker killed mid-send
leaves at most one row per pool process sent but not recorded; the rest of
its batch was not sent yet.

On PostgreSQL each pump holds a session-level advisory lock for as long as it
runs, on a connection it keeps for the purpose (`Holder`): the lock's key is
that connection's backend process id, unique among live sessions, and every
row the pump claims carries it (claim_key). The lock lives exactly as long as
the worker's connection: when the worker dies, PostgreSQL ends its session
and the lock is gone. So "sending, and nobody holds its claim key's lock"
means "its pump is gone", and the next pump or sweep puts it back at once
(taking the lock with pg_try_advisory_xact_lock, which a live pump's lock
refuses), instead of waiting OUTBOX_STUCK_SECONDS. (Should a new session get
a dead one's process id and become a pump, what the dead one left waits for
the new pump to end, or for OUTBOX_STUCK_SECONDS: later, never twice.) A row
whose receiver had taken it just before the worker died is sent again, with
the same Message-ID or event id, so a receiver can drop the copy: at most one
duplicate per pool process killed. A worker that keeps dying on one row
spends its attempts.

SQLite (the embedded default, one machine) has no such locks: a row left
sending there is put back after OUTBOX_STUCK_SECONDS, by each domain's sweep.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Select,
    case,
    false,
    func,
    literal,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.orm import QueryableAttribute

from campaign import clock, dispatch
from campaign.database import picked_once
from campaign.extensions import db

log = logging.getLogger(__name__)

CLAIM_LOCKS = 0x636C6D  # "clm": the namespace of the claim locks, mail's and the webhooks' alike
_HOLD = text("SELECT pg_try_advisory_lock(CAST(:namespace AS integer), CAST(:key AS integer))")
# What a pump writes on its own connection waits at most this long for a row lock: longer, and it
# writes in its session instead (sending.py), which may be the transaction that holds the lock.
_LOCK_TIMEOUT = "2s"
_OPEN = text(
    "SELECT pg_backend_pid(), current_setting('lock_timeout'), set_config('lock_timeout', :wait, false)"
)
_LET_ALL_GO = text("SELECT pg_advisory_unlock_all(), set_config('lock_timeout', :was, false)")


@dataclass(frozen=True)
class Outbox:
    """An outbox-shaped table: its mapped class, which has the columns id, status, attempts,
    next_attempt_at, claimed_at and claim_key, and the statuses of a row owed and of one being sent."""

    model: Any
    pending: enum.Enum
    sending: enum.Enum

    def due(self, before: datetime) -> Select[int]:
        """The ids of the rows owed and due before this moment (by the partial index of owed rows)."""
        model = self.model
        return select(model.id).where(is_in(model, self.pending), model.next_attempt_at <= before)

    def orphaned(self) -> Select[int]:
        """The ids of the rows sending whose pump is gone (its claim lock is free; PostgreSQL)."""
        model = self.model
        return orphaned(model, self.sending, func.coalesce(model.claim_key, model.id), CLAIM_LOCKS)


class Holder:
    """A pump's claim lock, on a PostgreSQL connection of its own (nothing on SQLite); `key` names it."""

    def __init__(self) -> None:
        self.connection: Connection | None = None
        self.key: int | None = None
        self._lock_timeout = "0"
        if db.engine.dialect.name != "postgresql":
            return
        self.connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        pid, self._lock_timeout, _ = self.connection.execute(_OPEN, {"wait": _LOCK_TIMEOUT}).one()
        key = int(pid)
        # Nobody else holds it for long: a sweep testing a dead session's rows that had this
        # process id takes it for the length of one statement.
        for _ in range(100):
            if self.connection.execute(_HOLD, {"namespace": CLAIM_LOCKS, "key": key}).scalar():
                self.key = key
                return
            time.sleep(0.01)
        self.close()
        raise RuntimeError("the outbox claim lock of this session's process id is held elsewhere")

    def close(self) -> None:
        """Release the lock and give the connection back (a dead connection released it already)."""
        if self.connection is None:
            return
        try:
            self.connection.execute(_LET_ALL_GO, {"was": self._lock_timeout})
        finally:
            self.connection.close()
            self.connection = None


@contextmanager
def pumping() -> Iterator[Holder]:
    """Hold a claim lock while a pump runs, the session keeping what it commits.

    Each outcome is committed on its own and nobody else changes a claimed
    row, so a row need not be read again after each commit.
    """
    holder = Holder()
    session = db.session()
    session.expire_on_commit = False
    try:
        yield holder
    finally:
        session.expire_on_commit = True
        holder.close()


def claim(outbox: Outbox, due: Select[Any], holder: Holder) -> list[Any]:
    """Claim the rows of `due` (ids, locked with SKIP LOCKED) for this pump, committed at once:
    sending, with its claim key, attempts + 1. Return them, oldest due first."""
    model = outbox.model
    claimed = (
        db.session.execute(
            update(model)
            # The status again: SQLite has no SKIP LOCKED (it writes one transaction at a time).
            .where(model.id.in_(picked_once(due)), model.status == outbox.pending)
            .values(
                status=outbox.sending,
                claimed_at=clock.now(),
                claim_key=holder.key,
                attempts=model.attempts + 1,
            )
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    db.session.commit()
    if not claimed:
        return []
    rows = db.session.execute(
        select(model)
        .where(model.id.in_(claimed))
        .order_by(model.next_attempt_at, model.id)
        .execution_options(populate_existing=True)
    ).scalars()
    return list(rows)


def count(ids: Select[Any], limit: int) -> int:
    """How many rows `ids` selects, counting up to `limit`."""
    return int(db.session.execute(select(func.count()).select_from(ids.limit(limit).subquery())).scalar_one())


def hand_over(ids: Select[Any], limit: int, task_name: str) -> int:
    """Start a pump (`task_name`) for the rows `ids` selects, if any; return how many (up to `limit`),
    or 0 if the broker did not take it."""
    owed = count(ids, limit)
    # One pump sends them all (and starts more if it runs out of time); if the
    # broker is away the next sweep tries again.
    if owed and not dispatch.publish(task_name, ()):
        return 0
    return owed


def reclaim(outbox: Outbox, put_back: Callable[[Sequence[int]], None], what: str) -> int:
    """Put back (with `put_back`) what dead pumps left sending, committed; return how many.

    PostgreSQL only: elsewhere nothing tells a dead pump's rows from a live one's
    (the domain's sweep puts back what was sending too long).
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return 0
    orphans = db.session.execute(outbox.orphaned()).scalars().all()
    if orphans:
        put_back(orphans)
        table = outbox.model.__tablename__
        log.warning("%s: %d %s left sending by a stopped worker put back", table, len(orphans), what)
    db.session.commit()  # also ends the transaction that held the orphans' locks
    return len(orphans)


def is_in(model: Any, status: enum.Enum) -> ColumnElement[bool]:
    """`model.status == status`, the status written as a literal, as the partial indexes of owed
    rows are: only then can every plan use them. psycopg prepares a statement run often, and
    PostgreSQL may keep one generic plan for it whatever the parameters, which with the status
    as a parameter reads the whole table."""
    return model.status == literal_column(f"'{status.value}'")


def orphaned(
    model: Any, status: enum.Enum, key: ColumnElement[int] | QueryableAttribute[int], namespace: int
) -> Select[int]:
    """The ids of `model`'s rows in `status` whose advisory lock (namespace, key) nobody holds.

    Each lock is taken here to the end of the transaction, so that no live
    worker takes the row meanwhile; locked rows are skipped (PostgreSQL only).
    """
    is_in_status = is_in(model, status)
    lock = func.pg_try_advisory_xact_lock(literal(namespace, Integer), key)
    # The CASE makes PostgreSQL try the lock only for rows in that status: given a
    # plain AND it may try it for every row of the table first (it did: a soak
    # with 60,000 rows filled the server's lock table, and every database on it
    # answered "out of shared memory").
    return (
        select(model.id)
        .where(is_in_status, case((is_in_status, lock), else_=false()))
        .with_for_update(skip_locked=True)
    )
