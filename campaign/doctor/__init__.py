"""`campaign doctor`: what is wrong with this installation, a sentence each; and `campaign ready`.

The doctor checks configuration, database, migrations, broker, SMTP, keys and
disk, and prints one line per finding; it exits non-zero when anything must
be fixed. `campaign ready` runs only the checks of `/readyz` (database and
broker answer), for the health checks of processes that serve no HTTP.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask
from flask_babel import lazy_gettext as _l

from campaign import health
from campaign.cli import TranslatedOption
from campaign.doctor.checks import (
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
