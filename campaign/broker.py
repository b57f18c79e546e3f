"""The embedded default's broker: Kombu's SQLAlchemy transport on a SQLite file beside the database.

Kombu's filesystem transport lets a worker read a message file before the web
process has finished writing it (celery/kombu#1551): the worker died on a
half-written file under a burst of signatures. A SQLite transaction is never
seen half-written, and SQLite needs no server, so `make run` still needs
nothing but Python.

Three changes to Kombu's transport (kombu.transport.sqlalchemy), each for a
reason:
- A message is deleted when a worker takes it, instead of being kept hidden.
  Kombu never reads a hidden row again (a message taken but not acknowledged
  goes back as a new row when its channel closes), and the kept rows would
  grow the file by every task ever sent: tens of megabytes a day of beat's
  ticks alone.
- The SQLite file runs in WAL mode and a connection waits for a busy lock
  rather than failing at once: web processes publish while the worker takes.
- Connections are not pooled, so none is carried into a forked pool process
  (SQLite forbids sharing a connection across fork); opening one is cheap.
  Only our engine settings reach create_engine, not Celery's transport options.
"""

from __future__ import annotations

import warnings
from json import loads
from queue import Empty
from typing import Any

from kombu.transport import sqlalchemy as kombu_sqlalchemy
from kombu.transport.sqlalchemy.models import ModelBase
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import create_engine, delete, event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SADeprecationWarning
from sqlalchemy.pool import NullPool

# The longest the worker's loop waits for a message before it looks for a shutdown request.
DRAIN_SECONDS = 0.5
# How long a connection waits for another's write lock before the broker
# counts as unreachable; the transactions here last a millisecond or two.
BUSY_TIMEOUT_SECONDS = 30


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL mode (readers never block the writer) and a busy wait, on each new connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Channel(kombu_sqlalchemy.Channel):
    """Kombu's SQLAlchemy channel that deletes what it hands out and waits on a busy SQLite file."""

    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        # Kombu's models declare a relationship lazy="noload", which SQLAlchemy
        # 2.1 deprecates (we never use that relationship): configure them now,
        # once, without the warning, which our tests would turn into an error.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The ``noload`` loader strategy", SADeprecationWarning)
            ModelBase.registry.configure()

    def _engine_from_config(self) -> Engine:
        """An unpooled engine on the broker's SQLite file, in WAL mode with a busy wait."""
        url = self.connection.client.hostname
        engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
        event.listen(engine, "connect", _pragmas)
        return engine

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        """Take the oldest message of the queue and delete it, in one write transaction."""
        queue_id = self._get_or_create(queue).id
        message = self.message_cls
        session = self.session
        try:
            # Taken under the write lock from the start, so two workers never take the same row.
            session.execute(text("BEGIN IMMEDIATE"))
            row = session.execute(
                select(message.id, message.payload)
                .where(message.queue_id == queue_id, message.visible.is_(True))
                .order_by(message.id)
                .limit(1)
            ).first()
            if row is not None:
                session.execute(delete(message).where(message.id == row.id))
            session.commit()
        except Exception:
            # Kombu's own version commits here; a failed transaction must be rolled back.
            session.rollback()
            raise
        if row is None:
            raise Empty()
        return loads(bytes_to_str(row.payload))


class Transport(kombu_sqlalchemy.Transport):
    """The embedded broker: `broker_transport` names it, `broker_url` is the SQLite file's URL."""

    Channel = Channel
    # How long an idle worker waits before looking for new messages again.
    polling_interval = 0.25

    def drain_events(self, connection: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        """Wait for a message for at most DRAIN_SECONDS at a time when a timeout is given.

        Celery's worker loop waits here 2 s at a time and notices a shutdown
        request only between waits; shorter waits keep a SIGTERM to stop
        within 10 s, soft shutdown included.
        """
        if timeout is not None:
            timeout = min(timeout, DRAIN_SECONDS)
        return super().drain_events(connection, timeout=timeout, **kwargs)

    def establish_connection(self) -> Any:
        """Open the SQLite file first, as Redis's transport pings: a broken broker shows at connect time."""
        assert self.client is not None
        check(self.client.hostname)
        return super().establish_connection()


def check(url: str) -> None:
    """Raise if the broker's SQLite file cannot be opened and read (for /readyz and the doctor)."""
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": 2})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT count(*) FROM sqlite_master"))
    finally:
        engine.dispose()
