"""The API's blueprint: token authentication, rate limits, errors as JSON, and its front door
(the entry point and the OpenAPI document)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException, InternalServerError

from campaign.accounts.models import User
from campaign.api import resources
from campaign.api.models import ApiToken
from campaign.api.openapi import HAL, build_spec, documented, ok, operation
from campaign.api.resources import ApiError
from campaign.api.tokens import active_token
from campaign.extensions import csrf, db, limiter
from campaign.privacy.keys import KeysMissing
from campaign.privacy.vault import CannotOpen
from campaign.proxies import client_key

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Scripts authenticate by token, not by cookie: there is no session to forge a request in.
csrf.exempt(bp)
PUBLIC = frozenset({"api.openapi"})
# A record's id in a route: `int` is bounded app-wide (campaign/database.py, RecordIdConverter), so
# an id past PostgreSQL's integer matches no route rather than failing in the database.
ID = "int"


def _token_key() -> str:
    """Rate-limit per token (or per address without one)."""
    token = request.headers.get("OSDI-API-Token", "")
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16] if token else client_key()


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_token_key)(bp)


def _bad_token_key() -> str:
    """Wrong tokens are counted per client (as ProxyFix gives it): a new guess is no new bucket."""
    return f"api-bad-token:{client_key()}"


def _has_valid_token() -> bool:
    """Tell whether the call needs no token or carries a valid one (looked up once per request)."""
    if request.endpoint in PUBLIC:
        return True
    if "api_token" not in g:
        g.api_token = active_token(request.headers.get("OSDI-API-Token", ""))
    return g.api_token is not None


# Only refusals count, and a valid token always passes: a script with a good
# token is not locked out by another one at the same address guessing.
limiter.limit(
    lambda: current_app.config["API_BAD_TOKEN_RATE_LIMIT"],
    key_func=_bad_token_key,
    deduct_when=lambda response: response.status_code == 401,
    exempt_when=_has_valid_token,
    error_message="too many calls with a wrong token from this address; wait and try again",
)(bp)


def hal(body: Any, status: int = 200) -> Response:
    """A HAL+JSON answer."""
    return Response(json.dumps(body), status=status, mimetype=HAL)


@bp.before_request
def authenticate() -> Response | None:
    """Every call but the document needs a valid OSDI-API-Token."""
    if request.endpoint in PUBLIC:
        return None
    if not _has_valid_token():
        return _error(401, "send a valid, unexpired token in the OSDI-API-Token header")
    return None


def request_token() -> ApiToken:
    """The request's token."""
    token: ApiToken = g.api_token
    return token


def token_user() -> User:
    """The token's user."""
    return request_token().user


def _error(status: int, message: str) -> Response:
    """An error as JSON."""
    return Response(json.dumps({"error": message}), status=status, mimetype="application/json")


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> Response:
    """A refusal the API explains."""
    db.session.rollback()
    return _error(error.status, error.message)


@bp.errorhandler(CannotOpen)
@bp.errorhandler(KeysMissing)  # a process without the blind-index key cannot look people up either
def sealed_here(error: CannotOpen | KeysMissing) -> Response:
    """Personal data asked of a process without the keys (the public web tier): point to the API service."""
    db.session.rollback()
    return _error(503, "Names and addresses are served by the API service, which holds the keys.")


@bp.errorhandler(HTTPException)
@bp.errorhandler(RateLimitExceeded)  # by its code, so the site's HTML page for it does not win
def http_error(error: HTTPException) -> Response:
    """Werkzeug's errors (a malformed body, a wrong method, too many calls), as JSON."""
    return _error(error.code or 500, error.description or error.name)


@bp.errorhandler(InternalServerError)  # by its code too: the site's HTML 500 page is registered so
def server_error(error: InternalServerError) -> Response:
    """An unexpected failure: JSON that reveals nothing, and nothing half-written."""
    db.session.rollback()
    return _error(500, "something went wrong on our side; the call changed nothing, try again later")


@bp.get("/")
@documented(get=operation("The entry point: links to every collection", ok("EntryPoint")))
def entry_point() -> Response:
    """Link to the collections."""
    return hal(resources.entry_point())


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI document of this API."""
    document = current_app.extensions.get("openapi")
    if document is None:
        document = current_app.extensions["openapi"] = build_spec(current_app, "api")
    return Response(json.dumps(document), mimetype="application/json")
