"""Exactly one beat: the schedule runs only in the beat that holds a lock; any other stands by.

A second beat (a second `make run`, a scaled-up service, a forgotten process)
would send every periodic task twice. The tasks are idempotent, so nothing
would be counted or sent twice, but the work would be; so a beat runs its
schedule only while it holds a lock:
- on PostgreSQL, a session advisory lock on a connection the beat keeps open:
  the server frees it the moment that beat's process or connection dies, so a
  standby beat takes over within one standby interval, and two machines
  sharing the database still agree;
- on SQLite (the embedded default, one machine), an flock on a file beside
  the database, which the kernel frees when the process dies.
A standby beat does not even open its schedule file, which the running beat
may be writing.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import Any

from celery.beat import PersistentScheduler
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from campaign import database

log = logging.getLogger(__name__)

# How often a standby beat tries the lock again.
STANDBY_SECONDS = 5.0
# The advisory lock's key: any fixed 64-bit number that no other lock of ours uses.
ADVISORY_KEY = 0x62656174  # "beat"


class PostgresLock:
    """A session advisory lock, held for as long as one dedicated connection lives."""

    def __init__(self, url: str, dead_peer_seconds: int = 0) -> None:
        self._engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        # If this beat's host vanishes, the database lets go of the lock (and a standby takes over)
        # within this long, not TCP's hours.
        database.watch_for_dead_peers(self._engine, dead_peer_seconds)
        self._connection: Connection | None = None

    def hold(self) -> bool:
        """Tell whether this process holds the lock, taking it if it is free."""
        try:
            if self._connection is not None:
                # The lock lives as long as this connection: if it answers, the lock is still ours.
                self._connection.execute(text("SELECT 1"))
                return True
            connection = self._engine.connect()
            taken = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY})
            if taken.scalar():
                self._connection = connection
                return True
            connection.close()
        except SQLAlchemyError as error:
            log.warning("beat lock: the database does not answer (%s)", type(error).__name__)
            self.release()
        return False

    def release(self) -> None:
        """Give the lock up (closing the connection frees it)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except SQLAlchemyError:
                connection.invalidate()


class FileLock:
    """An exclusive flock on a file, for the embedded default's single machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._descriptor: int | None = None

    def hold(self) -> bool:
        """Tell whether this process holds the lock, taking it if it is free."""
        if self._descriptor is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self._descriptor = descriptor
        return True

    def release(self) -> None:
        """Give the lock up."""
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            os.close(descriptor)


def lock_for(database_url: str, lock_file: str, dead_peer_seconds: int = 0) -> PostgresLock | FileLock:
    """The lock that fits the database: advisory on PostgreSQL, a file lock beside SQLite."""
    if database_url.startswith("postgresql"):
        return PostgresLock(database_url, dead_peer_seconds)
    return FileLock(Path(lock_file))


class SingleBeatScheduler(PersistentScheduler):
    """Celery's persistent scheduler, run only while this beat holds the beat lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        conf = kwargs["app"].conf
        self._lock = lock_for(
            conf.campaign_beat_lock_database,
            conf.campaign_beat_lock_file,
            conf.get("campaign_beat_lock_dead_peer_seconds", 0),
        )
        self._is_running = False
        self._has_said_standby = False
        super().__init__(*args, **kwargs)

    def setup_schedule(self) -> None:
        """Open the schedule only once the lock is held (tick() does it then)."""
        if self._is_running:
            super().setup_schedule()

    def tick(self, *args: Any, **kwargs: Any) -> float:
        """Run what is due while holding the lock; otherwise stand by and try again later."""
        if not self._lock.hold():
            if self._is_running:
                log.warning("beat lock lost: this beat stands by until it can take it again")
                self._stop_running()
            elif not self._has_said_standby:
                log.warning("beat lock held by another beat: this beat stands by")
                self._has_said_standby = True
            return STANDBY_SECONDS
        if not self._is_running:
            log.info("beat lock taken: this beat runs the schedule")
            self._is_running = True
            self._has_said_standby = False
            self._heap = None
            super().setup_schedule()
        interval: float = super().tick(*args, **kwargs)
        # Come back while the lock is surely still ours, and to notice soon if it is not.
        return min(interval, STANDBY_SECONDS)

    def _stop_running(self) -> None:
        """Close the schedule file, leaving it to the beat that holds the lock now."""
        self._is_running = False
        scheduler: Any = self  # Celery's scheduler is untyped: its _store is the open shelve
        if scheduler._store is not None:
            self.sync()
            scheduler._store.close()
            scheduler._store = None

    def close(self) -> None:
        """Save and close the schedule, then give the lock up."""
        try:
            super().close()
        finally:
            self._lock.release()
