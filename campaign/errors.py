"""Friendly error pages, with the right status and no stack traces."""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, abort, render_template, request
from flask_wtf.csrf import CSRFError
from jinja2 import TemplateError
from sqlalchemy import exc
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError

from campaign.extensions import db
from campaign.security import private

log = logging.getLogger(__name__)

# The database could not be reached or did not answer in time (a restart, a
# failover, a full connection pool, a busy SQLite file): the request did not
# happen, and trying again shortly will work. 503, so that a load balancer or
# a client can act on it; a signature is never answered 303 unless committed.
UNREACHABLE_DATABASE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = (
    "The site is briefly unavailable: what you sent may not have been saved. Please try again in a minute."
)


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)
    for error_class in UNREACHABLE_DATABASE:
        app.register_error_handler(error_class, _database_unreachable)
    app.register_error_handler(exc.DataError, _value_refused_by_database)
    app.before_request(_refuse_nul_in_address)


def _refuse_nul_in_address() -> None:
    """No address of ours holds a NUL, and PostgreSQL cannot even look one up: 400 before any view.

    Not under the API's prefix: it checks each of its parameters itself and says which one is wrong.
    """
    if request.path.startswith("/api/"):
        return
    if "\x00" in request.path or b"%00" in request.query_string or b"\x00" in request.query_string:
        abort(400)


def _value_refused_by_database(error: exc.DataError) -> tuple[str, int] | Response:
    """A value from the request the database cannot hold or compare (an id past an integer's range,
    a NUL): a view let it through unchecked. The request's fault, so 400, never a 500; nothing was
    written, since the transaction is rolled back. Logged by its kind only: the value may be personal."""
    db.session.rollback()
    log.warning("a value the database refused, answered 400: %s", type(error.orig).__name__)
    return _http_error(BadRequest())


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    """The form's security token was missing or stale: ask to try again."""
    return render_template("errors/csrf.html"), 400


def _http_error(error: HTTPException) -> tuple[str, int] | Response:
    """Any 4xx or 5xx raised on purpose; as JSON under the API's prefix."""
    code = error.code or 500
    if request.path.startswith("/api/"):
        return Response(
            json.dumps({"error": error.description or error.name}), status=code, mimetype="application/json"
        )
    if code == 404:
        return render_template("errors/404.html"), 404
    if code >= 500:
        return render_template("errors/500.html"), code
    return render_template("errors/4xx.html", error=error), code


def _server_error(error: InternalServerError) -> tuple[str, int]:
    """An unexpected failure: say sorry, reveal nothing."""
    return render_template("errors/500.html"), 500


def _database_unreachable(error: Exception) -> Response:
    """The database did not answer: 503, with a page that says to send it again shortly."""
    # The driver's first line says why (refused, timed out, locked); no row values are in it.
    reason = str(getattr(error, "orig", None) or error).strip().splitlines() or [""]
    log.warning("database unavailable, answered 503: %s: %s", type(error).__name__, reason[0][:200])
    if request.path.startswith("/api/"):
        response = Response(
            json.dumps({"error": UNAVAILABLE}),
            status=503,
            mimetype="application/json",
        )
    else:
        try:
            body = render_template("errors/503.html")
        except (TemplateError, exc.SQLAlchemyError):  # a page part that needs the database itself
            body = UNAVAILABLE + "\n"
        response = Response(body, status=503, mimetype="text/html")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return private(response)
