"""Health for load balancers and docker-compose: `/healthz` (alive) and `/readyz` (can serve).

`/healthz` answers 200 as long as the process answers, whatever its
database does: restarting a web process does not bring a database back, so a
liveness check must not fail with it. `/readyz` answers 200 only when the
database and the broker answer, else 503 naming which does not, so a load
balancer sends signers elsewhere. `campaign ready` runs the same checks for
the worker and beat, which serve no HTTP.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from flask_babel import force_locale, gettext
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from campaign.extensions import db
from campaign.i18n import DEFAULT_LANGUAGE
from campaign.security import private

bp = Blueprint("health", __name__)

# A broker that has not answered in this long counts as down (Redis's own timeout is shorter).
BROKER_TIMEOUT_SECONDS = 2.0


def database_problem() -> str | None:
    """Why the database does not answer, or None when it does: in the reader's language (`campaign ready`)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        # Translators: why a process cannot serve (`campaign ready`, the doctor); keep the error's name as is
        return gettext("the database does not answer (%(error)s)", error=type(error).__name__)
    return None


def broker_problem() -> str | None:
    """Why the broker does not answer, or None when it does: in the reader's language (`campaign ready`)."""
    celery_app = current_app.extensions["celery"]
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT_SECONDS
            )
    except Exception as error:  # each transport raises its own kinds when its broker is away
        # Translators: why a process cannot serve (`campaign ready`, the doctor); keep the error's name as is
        return gettext("the broker does not answer (%(error)s)", error=type(error).__name__)
    return None


def readiness_problems() -> list[str]:
    """What keeps this process from serving: an empty list when the database and the broker answer."""
    return [problem for problem in (database_problem(), broker_problem()) if problem]


@bp.get("/healthz")
def healthz() -> Response:
    """Answer 200 while the process is alive, even when the database is down."""
    return _plain("ok\n", 200)


@bp.get("/readyz")
def readyz() -> Response:
    """Answer 200 when the database and the broker answer; 503 saying which does not."""
    # Read by load balancers and in their logs: in English, whatever language the browser asks for.
    with force_locale(DEFAULT_LANGUAGE):
        problems = readiness_problems()
    if problems:
        return _plain("".join(f"{problem}\n" for problem in problems), 503)
    return _plain("ready\n", 200)


def _plain(body: str, status: int) -> Response:
    """A short text answer that no cache keeps."""
    return private(Response(body, status=status, mimetype="text/plain"))
