"""`campaign doctor`: what is wrong with this installation, a sentence each; and `campaign ready`.

The doctor checks configuration, database, migrations, broker, SMTP, keys,
disk, (on PostgreSQL) autovacuum, and that workers take what is owed, and
prints one line per finding; it exits non-zero when anything must be fixed.
`campaign ready` runs only the checks of `/readyz` (database and broker
answer), for the health checks of processes that serve no HTTP.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign import health
from campaign.cli import TranslatedCommand, TranslatedOption
from campaign.doctor.backlog import check_backlog
from campaign.doctor.checks import (
    check_autovacuum,
    check_broker,
    check_configuration,
    check_database,
    check_disk,
    check_keys,
    check_migrations,
)
from campaign.doctor.findings import Finding
from campaign.doctor.smtp import check_smtp
from campaign.extensions import db

ROLES = ("all", "web", "worker")

# The report's second column: each check by name (Finding.check keeps the English word, for code).
CHECK_NAMES = {
    # Translators: this and the next eight: what `campaign doctor` checks, a word each, in a column
    "configuration": _l("configuration"),
    "database": _l("database"),
    "migrations": _l("migrations"),
    "broker": _l("broker"),
    "smtp": _l("smtp"),
    "keys": _l("keys"),
    "disk": _l("disk"),
    # Translators: work owed (mail, webhook deliveries) that waits for a worker
    "backlog": _l("backlog"),
    # Translators: the PostgreSQL setting of that name; keep it as it is unless your PostgreSQL docs differ
    "autovacuum": _l("autovacuum"),
}


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
        check_autovacuum,
        check_backlog,
    ]
    found: list[Finding] = []
    for check in checks:
        found.extend(check())
        db.session.rollback()  # a failed check leaves no broken transaction to the next
    return found


def report_lines(findings: list[Finding]) -> list[str]:
    """The doctor's report, a line a finding, in columns: ok or FAIL, the check, the sentence."""
    # Translators: the first column of `campaign doctor`, for a check that passed
    passed = _("ok")
    # Translators: the first column of `campaign doctor`, for a check that must be fixed; in capitals
    failed = _("FAIL")
    names = {check: str(name) for check, name in CHECK_NAMES.items()}
    status_width = max(len(passed), len(failed))
    name_width = max(13, *(len(name) for name in names.values()))
    return [
        f"{passed if finding.is_ok else failed:<{status_width}}  "
        f"{names.get(finding.check, finding.check):<{name_width}} {finding.sentence}"
        for finding in findings
    ]


def init_app(app: Flask) -> None:
    """Register `campaign doctor` and `campaign ready`."""

    @app.cli.command(
        "doctor",
        cls=TranslatedCommand,
        help=_l(
            "Check configuration, database, migrations, broker, SMTP, keys, disk, autovacuum"
            " and the backlog; exit 1 if any fails."
        ),
    )
    @click.option(
        "--role",
        type=click.Choice(ROLES),
        default="all",
        cls=TranslatedOption,
        help=_l("What this machine runs: a web host needs no private keys; a worker does."),
    )
    def doctor_command(role: str) -> None:
        """Check this installation, a sentence per finding; exit 1 if any fails."""
        findings = run_checks(role)
        for line in report_lines(findings):
            click.echo(line)
        if not all(finding.is_ok for finding in findings):
            raise SystemExit(1)

    @app.cli.command(
        "ready",
        cls=TranslatedCommand,
        help=_l(
            "Exit 0 when the database and the broker answer (what /readyz checks); else say why and exit 1."
        ),
    )
    def ready_command() -> None:
        """Exit 0 when the database and the broker answer (what /readyz checks); else say why and exit 1."""
        problems = health.readiness_problems()
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            raise SystemExit(1)
        # Translators: what `campaign ready` says when the database and the broker answer
        click.echo(_("ready"))
