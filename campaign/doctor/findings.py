"""What `campaign doctor` reports: findings, a sentence each, and whether this is a production setup."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app


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
