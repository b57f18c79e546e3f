"""The doctor's checks of this installation, but SMTP's (campaign/doctor/smtp.py): a finding each.

Configuration, database, migrations, broker, keys, disk and autovacuum, in the
order a person would fix things.
"""

from __future__ import annotations

import logging
import os
import shutil
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.engine import make_url

from campaign import database, health
from campaign.doctor.findings import Finding, fail, is_production, ok
from campaign.extensions import db
from campaign.logs import LOG_FORMATS
from campaign.privacy import keys

# Below this much free space on the instance folder's disk, exports and mail kept on disk start failing.
MIN_FREE_BYTES = 500 * 1024 * 1024
# What autovacuum needs on: without it nothing ANALYZEs the tables as they grow.
_AUTOVACUUM_SETTINGS = text(
    "SELECT name, setting FROM pg_settings WHERE name IN ('autovacuum', 'track_counts')"
)


def check_configuration() -> list[Finding]:
    """The settings that, wrong, break the site quietly: secret key, links in email, sender, log format."""
    config = current_app.config
    found = []
    if is_production() and not os.environ.get("SECRET_KEY"):
        found.append(
            Finding(
                "configuration",
                False,
                _(
                    "SECRET_KEY is not set: sessions are signed with a key made on this machine alone;"
                    " set the same SECRET_KEY on every web host."
                ),
            )
        )
    base = urlsplit(config["BASE_URL"])
    if base.scheme not in ("http", "https") or not base.hostname:
        found += fail("configuration", _("BASE_URL '%(url)s' is not an http(s) URL.", url=config["BASE_URL"]))
    elif is_production() and base.hostname in ("localhost", "127.0.0.1", "::1"):
        found.append(
            Finding(
                "configuration",
                False,
                _(
                    "BASE_URL is %(url)s: links in email would point at the reader's own computer.",
                    url=config["BASE_URL"],
                ),
            )
        )
    if "@" not in parseaddr(config["MAIL_FROM"])[1]:
        sentence = _("MAIL_FROM '%(sender)s' holds no address.", sender=config["MAIL_FROM"])
        found.append(Finding("configuration", False, sentence))
    if config["LOG_FORMAT"] not in LOG_FORMATS:
        sentence = _("LOG_FORMAT must be one of %(formats)s.", formats=", ".join(LOG_FORMATS))
        found.append(Finding("configuration", False, sentence))
    return found or ok("configuration", _("SECRET_KEY, BASE_URL, MAIL_FROM and LOG_FORMAT are set."))


def check_database() -> list[Finding]:
    """The database answers."""
    where = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    problem = health.database_problem()
    if problem:
        # Translators: the problem is a sentence of campaign/health.py: the database or broker is silent
        sentence = _("%(problem)s at %(where)s.", problem=problem[:1].upper() + problem[1:], where=where)
        return [Finding("database", False, sentence)]
    return [Finding("database", True, _("The database at %(where)s answers.", where=where))]


def check_migrations() -> list[Finding]:
    """The database's schema is at the newest migration."""
    heads = set(ScriptDirectory(str(database.MIGRATIONS)).get_heads())
    # Alembic says which dialect it found at INFO: noise between the doctor's lines.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except Exception as error:  # the database check above says why it does not answer
        return fail(
            "migrations",
            _("Not checked: the database does not answer (%(error)s).", error=type(error).__name__),
        )
    if current == heads:
        return ok(
            "migrations",
            _("The schema is at the newest migration (%(heads)s).", heads=", ".join(sorted(heads))),
        )
    at = ", ".join(sorted(current)) or _("none applied")
    return [
        Finding(
            "migrations",
            False,
            _(
                "The schema is at %(at)s, the code expects %(heads)s: run `campaign db upgrade`.",
                at=at,
                heads=", ".join(sorted(heads)),
            ),
        )
    ]


def check_broker() -> list[Finding]:
    """The broker answers."""
    problem = health.broker_problem()
    if problem:
        # The URL as Kombu shows it, without the password.
        where = current_app.extensions["celery"].connection_for_write().as_uri()
        return fail(
            "broker",
            _("%(problem)s at %(where)s.", problem=problem[:1].upper() + problem[1:], where=where),
        )
    if is_production() and not (current_app.config["REDIS_URL"] or current_app.config["BROKER_URL"]):
        return [
            Finding(
                "broker",
                True,
                _(
                    "The broker is a SQLite file on this machine (no REDIS_URL):"
                    " workers on other machines cannot reach it."
                ),
            )
        ]
    return [Finding("broker", True, _("The broker answers."))]


def check_keys(role: str) -> list[Finding]:
    """The blind-index key, a current sealing key, and (where mail is sent) its private half."""
    try:
        keys.index_key()
        key_id = keys.current_key(None)[0]
    except keys.KeysMissing as error:
        return [Finding("keys", False, str(error))]
    except Exception as error:  # the current key is read from the database
        return fail(
            "keys", _("Not checked: the database does not answer (%(error)s).", error=type(error).__name__)
        )
    if keys.private_key(key_id) is None:
        if role == "web":
            return ok(
                "keys", _("The keys are in place (the private half of %(id)s is held elsewhere).", id=key_id)
            )
        return [
            Finding(
                "keys",
                False,
                _(
                    "This machine does not hold the private half of the current key %(id)s"
                    " (looked in %(folder)s): a worker here cannot send mail or build exports.",
                    id=key_id,
                    folder=keys.keys_path(),
                ),
            )
        ]
    return ok(
        "keys",
        _("The blind-index key and the current key %(id)s, with its private half, are here.", id=key_id),
    )


def check_disk() -> list[Finding]:
    """The instance folder (exports, mail kept on disk, the SQLite files) is writable and has room."""
    folder = Path(current_app.instance_path)
    if not os.access(folder, os.W_OK):
        return [
            Finding(
                "disk",
                False,
                _("The instance folder %(folder)s is not writable by this user.", folder=folder),
            )
        ]
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        return fail(
            "disk",
            _(
                "Only %(megabytes)s MB free on the disk of %(folder)s (500 MB or more wanted).",
                megabytes=free // 2**20,
                folder=folder,
            ),
        )
    return [
        Finding(
            "disk",
            True,
            _("%(megabytes)s MB free on the disk of %(folder)s.", megabytes=free // 2**20, folder=folder),
        )
    ]


def check_autovacuum() -> list[Finding]:
    """On PostgreSQL, autovacuum runs: it keeps the planner's statistics, and so the plans that
    prepared statements keep, fit for tables that grow by the thousand a minute in a surge.

    Without it a plan made while a table was nearly empty is kept as it grows: the soak of
    issue 14 slowed from 100 to 58 signatures a second that way (bench/FINDINGS.md, session 10).
    """
    if not is_production():
        return []  # SQLite keeps no plans between statements
    try:
        with db.engine.connect() as connection:
            settings = {name: value for name, value in connection.execute(_AUTOVACUUM_SETTINGS)}
    except Exception as error:  # the database check above says why it does not answer
        return fail(
            "autovacuum",
            _("Not checked: the database does not answer (%(error)s).", error=type(error).__name__),
        )
    return autovacuum_finding(sorted(name for name, value in settings.items() if value != "on"))


def autovacuum_finding(off: list[str]) -> list[Finding]:
    """The finding for the PostgreSQL settings autovacuum needs that are off (none: all is well)."""
    if not off:
        sentence = _("Autovacuum runs: the planner's statistics follow the tables as they grow.")
        return ok("autovacuum", sentence)
    return fail(
        "autovacuum",
        _(
            "Autovacuum does not run on this PostgreSQL server (%(settings)s): as the tables grow,"
            " the planner's statistics go stale, and with them the plans it keeps for signing and mail,"
            " which slow down. Turn it on, or run ANALYZE on a schedule.",
            settings=", ".join(f"{name} = off" for name in off),
        ),
    )
