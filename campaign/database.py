"""Engine tuning and helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.dialects import postgresql, sqlite

from campaign.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


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
