"""Friendly error pages, with the right status and no stack traces."""

from __future__ import annotations

import json

from flask import Flask, Response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _server_error)


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
