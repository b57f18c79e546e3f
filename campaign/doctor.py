"""`campaign doctor`: what is wrong with this installation, a sentence each; and `campaign ready`.

The doctor checks configuration, database, migrations, broker, SMTP, keys and
disk, and prints one line per finding; it exits non-zero when anything must
be fixed. `campaign ready` runs only the checks of `/readyz` (database and
broker answer), for the health checks of processes that serve no HTTP.
"""

from __future__ import annotations

import logging
import os
import shutil
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

import click
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import make_url

from campaign import database, health
from campaign.cli import TranslatedOption
from campaign.extensions import db
from campaign.logs import LOG_FORMATS
from campaign.privacy import keys

# Below this much free space on the instance folder's disk, exports and mail kept on disk start failing.
MIN_FREE_BYTES = 500 * 1024 * 1024
SMTP_TIMEOUT_SECONDS = 10.0
ROLES = ("all", "web", "worker")


@dataclass(frozen=True)
class Finding:
    """One line of the report: which check, whether all is well, and a sentence saying what was found."""

    check: str
    is_ok: bool
    sentence: str


def ok(check: str, sentence: str) -> list[Finding]:
    """A finding that all is well."""
    return [Finding(check, True, sentence)]


def fail(check: str, sentence: str) -> list[Finding]:
    """A finding that something must be fixed."""
    return [Finding(check, False, sentence)]


def is_production() -> bool:
    """Tell whether this runs on a database server rather than the embedded default's SQLite file."""
    return not current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")


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
        # Translators: the problem is an English sentence from the database's or broker's answer
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


def check_smtp() -> list[Finding]:
    """The SMTP server greets us, over verified TLS where the URL asks for it, and answers NOOP."""
    url = current_app.config["SMTP_URL"]
    if not url:
        return [
            Finding(
                "smtp",
                not is_production(),
                _("No SMTP_URL: mail is kept on disk and shown at /dev/mail, and never reaches anyone.")
                if is_production()
                else _("No SMTP_URL: mail is kept on disk and shown at /dev/mail (right for a laptop)."),
            )
        ]
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    try:
        _smtp_noop(parts.scheme, host, port, parts.username, parts.password)
    except ssl.SSLCertVerificationError as error:
        sentence = _(
            "The certificate of %(host)s could not be verified (%(reason)s);"
            " if a private CA signed it, name its file in SMTP_CA_FILE.",
            host=host,
            reason=error.verify_message,
        )
    except smtplib.SMTPAuthenticationError:
        sentence = _("%(host)s refused the user name and password in SMTP_URL.", host=host)
    except smtplib.SMTPNotSupportedError:
        sentence = _(
            "%(host)s:%(port)s does not offer STARTTLS, which smtp+starttls:// asks for.",
            host=host,
            port=port,
        )
    except (OSError, smtplib.SMTPException) as error:
        sentence = _(
            "Cannot talk to the SMTP server at %(host)s:%(port)s (%(error)s).",
            host=host,
            port=port,
            error=": ".join((type(error).__name__, str(error))),
        )
    else:
        if parts.scheme in ("smtps", "smtp+starttls"):
            sentence = _(
                "The SMTP server at %(host)s:%(port)s answers over verified TLS.", host=host, port=port
            )
        else:
            sentence = _("The SMTP server at %(host)s:%(port)s answers.", host=host, port=port)
        return [Finding("smtp", True, sentence)]
    return [Finding("smtp", False, sentence)]


def _smtp_noop(scheme: str, host: str, port: int, username: str | None, password: str | None) -> None:
    """Open a session as the worker would (TLS checked against SMTP_CA_FILE or the system's CAs); NOOP."""
    context = ssl.create_default_context(cafile=current_app.config["SMTP_CA_FILE"])
    connection: smtplib.SMTP
    if scheme == "smtps":
        connection = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    else:
        connection = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        if scheme == "smtp+starttls":
            connection.starttls(context=context)
        if username and password:
            connection.login(unquote(username), unquote(password))
        code, reply = connection.noop()
        if code != 250:
            raise smtplib.SMTPResponseException(code, reply)
    finally:
        connection.close()


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


def run_checks(role: str = "all") -> list[Finding]:
    """Every check, in the order a person would fix things."""
    checks: list[Callable[[], list[Finding]]] = [
        check_configuration,
        check_database,
        check_migrations,
        check_broker,
        check_smtp,
        lambda: check_keys(role),
        check_disk,
    ]
    found: list[Finding] = []
    for check in checks:
        found.extend(check())
        db.session.rollback()  # a failed check leaves no broken transaction to the next
    return found


def init_app(app: Flask) -> None:
    """Register `campaign doctor` and `campaign ready`."""

    @app.cli.command("doctor")
    @click.option(
        "--role",
        type=click.Choice(ROLES),
        default="all",
        cls=TranslatedOption,
        help=_l("What this machine runs: a web host needs no private keys; a worker does."),
    )
    def doctor_command(role: str) -> None:
        """Check configuration, database, migrations, broker, SMTP, keys and disk; exit 1 if any fails."""
        findings = run_checks(role)
        for finding in findings:
            click.echo(f"{'ok  ' if finding.is_ok else 'FAIL'}  {finding.check:<13} {finding.sentence}")
        if not all(finding.is_ok for finding in findings):
            raise SystemExit(1)

    @app.cli.command("ready")
    def ready_command() -> None:
        """Exit 0 when the database and the broker answer (what /readyz checks); else say why and exit 1."""
        problems = health.readiness_problems()
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            raise SystemExit(1)
        click.echo("ready")
