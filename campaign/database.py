"""Engine tuning and helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import select
import time
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, Select, event, exc
from sqlalchemy import select as select_from
from sqlalchemy.dialects import postgresql, sqlite
from werkzeug.routing import IntegerConverter, Map

from campaign.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The largest id an integer column holds (PostgreSQL's integer is 32 bits).
LARGEST_ID = 2**31 - 1


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in every route: an id past what an integer column holds matches no route (404),
    rather than reaching PostgreSQL, which refuses to compare it ("integer out of range")."""

    def __init__(self, url_map: Map, **options: Any) -> None:
        options.setdefault("max", LARGEST_ID)
        super().__init__(url_map, **options)


def bound_route_ids(app: Flask) -> None:
    """Make `int` in the app's routes the bounded converter: before any blueprint adds a rule."""
    app.url_map.converters["int"] = RecordIdConverter


def prepare_instance(app: Flask) -> None:
    """Create the instance folder the embedded default writes into."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def tune_engine(app: Flask) -> None:
    """Put SQLite in WAL mode with a busy timeout, so web and worker can share it; on PostgreSQL,
    have the server notice a client that is gone within DATABASE_DEAD_PEER_SECONDS."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        watch_for_dead_peers(engine, int(app.config["DATABASE_DEAD_PEER_SECONDS"]))
        ping_when_in_doubt(engine)


def watch_for_dead_peers(engine: Engine, seconds: int) -> None:
    """On PostgreSQL (and seconds > 0), have the server end each session of this engine whose
    client has been unreachable for about `seconds`."""
    if engine.dialect.name == "postgresql" and seconds > 0:
        event.listen(engine, "connect", _dead_peer_settings(seconds))


def _dead_peer_settings(seconds: int) -> Any:
    """A connect hook: the server's side of each session probes a silent client and gives up on it.

    A web or worker host cut off the network never closes its sessions; left
    to TCP's defaults PostgreSQL keeps them, and every lock they hold (a row
    being signed, a pump's claim lock, the beat's lock), for 15 minutes or
    hours. These settings are the session's own (no server configuration, and
    they pass through PgBouncer in session mode): keepalive probes after a
    third of the time, unacknowledged data given up after all of it, and a
    running query's client checked as often.
    """
    idle = max(seconds // 3, 1)
    count = 3
    interval = max((seconds - idle) // count, 1)
    statements = [
        f"SET tcp_keepalives_idle = {idle}",
        f"SET tcp_keepalives_interval = {interval}",
        f"SET tcp_keepalives_count = {count}",
        f"SET tcp_user_timeout = {seconds * 1000}",
        f"SET client_connection_check_interval = {seconds * 1000}",
    ]

    def settings(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        for statement in statements:
            cursor.execute(statement)
        cursor.close()
        if not dbapi_connection.autocommit:
            # Committed, so that a rollback of the session's first transaction keeps them.
            dbapi_connection.commit()

    return settings


# A connection back from the pool after this long unused is pinged whatever its socket says: a
# network that drops an idle connection silently leaves nothing to read on it.
PING_AFTER_IDLE_SECONDS = 10.0


def ping_when_in_doubt(engine: Engine) -> None:
    """Check a PostgreSQL connection as it leaves the pool only when it may be gone.

    pool_pre_ping sends a round trip before every checkout: on a busy site,
    one more per request than the request itself needs. A server that ended
    the session (a restart, a failover, an administrator's terminate) has
    written to the socket and closed it, and a socket with something to read
    between two uses is in doubt; so is one unused for PING_AFTER_IDLE_SECONDS.
    Only those are pinged, and one that fails the ping is replaced before the
    request uses it, as pool_pre_ping would (SQLAlchemy's "disconnect handling,
    pessimistic", with a custom ping).
    """
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", _checkout_checker(engine))


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    """Remember when a connection went back to the pool."""
    record.info["checked_in_at"] = time.monotonic()


def _checkout_checker(engine: Engine) -> Any:
    """A checkout hook that pings the connections in doubt and refuses the dead ones."""

    def check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle = time.monotonic() - record.info.get("checked_in_at", float("-inf"))
        if idle < PING_AFTER_IDLE_SECONDS and not _has_input(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool drops this connection and checks out another (up to three times).
            raise exc.DisconnectionError(f"connection failed its ping: {type(error).__name__}") from error

    return check


def _has_input(dbapi_connection: Any) -> bool:
    """Tell whether an idle psycopg connection has anything to read (or is closed): then it is in doubt."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Set the pragmas each new SQLite connection needs."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def insert(model: Any) -> Any:
    """An INSERT for the current dialect, so callers can use ON CONFLICT."""
    dialect = db.session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model)


def picked_once(ids: Select[Any]) -> Select[Any]:
    """The rows `ids` picks (with LIMIT and FOR UPDATE SKIP LOCKED), as a subquery run once per statement.

    Written `WHERE id IN (that subquery)`, an UPDATE may run the subquery again
    for each row it updates: PostgreSQL joins them in a nested loop when its
    statistics say the table is small (a table that grew since its last ANALYZE,
    the start of a surge). Each run skips the rows the statement has just
    updated and picks the next ones, so one claim of a batch took the whole
    backlog (measured: 1,000 rows for a batch of 20, in a third of a second).
    A MATERIALIZED CTE is run once. SQLite runs the subquery once anyway.
    """
    picked = ids.cte("picked").prefix_with("MATERIALIZED", dialect="postgresql")
    return select_from(*picked.c)
