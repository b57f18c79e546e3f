"""Databases of a test's own: an empty one of each kind for the tests of a migration (they build it
from its first revision), and a PostgreSQL one for a restore."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.support.run import DATABASE_NAME, POSTGRES_ADMIN_URL

KINDS = ["sqlite", "postgresql"]


@contextmanager
def new_database(suffix: str) -> Iterator[str]:
    """An empty PostgreSQL database named after this run and `suffix`, dropped at the end; its URL."""
    name = f"{DATABASE_NAME}_{suffix}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def empty_database(kind: str, folder: Path, suffix: str) -> Iterator[str]:
    """The URL of an empty SQLite file in `folder`, or of a new PostgreSQL database (new_database)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'migrated.sqlite'}"
        return
    with new_database(suffix) as url:
        yield url


@contextmanager
def migrated_app(database_url: str, **config: object) -> Iterator[None]:
    """Within an app of its own on this database (a migration's test upgrades and downgrades it);
    its connections closed at the end, so the database can be dropped."""
    from campaign import create_app
    from campaign.config import database_uri
    from campaign.extensions import db

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri(database_url), **config})
    with app.app_context():
        try:
            yield
        finally:
            db.session.remove()
            db.engine.dispose()
