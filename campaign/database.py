"""Engine tuning and helpers that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite

from campaign.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def prepare_instance(app: Flask) -> None:
    """Create the instance folder the embedded default writes into."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def tune_engine(app: Flask) -> None:
    """Put SQLite in WAL mode with a busy timeout, so web and worker can share it."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)


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
