"""The OSDI API: thin views over resources.py, each declaring its OpenAPI operation."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from campaign.accounts.models import User
from campaign.api import helpers, resources
from campaign.api.openapi import HAL, PAGING, build_spec, collection_schema, documented, id_parameter, ok
from campaign.api.resources import ApiError, Paging
from campaign.api.tokens import user_for_token
from campaign.campaigns.models import CampaignKind
from campaign.extensions import csrf, db, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Scripts authenticate by token, not by cookie: there is no session to forge a request in.
csrf.exempt(bp)
PUBLIC = frozenset({"api.openapi"})


def _token_key() -> str:
    """Rate-limit per token (or per address without one)."""
    token = request.headers.get("OSDI-API-Token", "")
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16] if token else str(request.remote_addr)


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_token_key)(bp)


def hal(body: Any, status: int = 200) -> Response:
    """A HAL+JSON answer."""
    return Response(json.dumps(body), status=status, mimetype=HAL)


@bp.before_request
def authenticate() -> Response | None:
    """Every call but the document needs a valid OSDI-API-Token."""
    if request.endpoint in PUBLIC:
        return None
    user = user_for_token(request.headers.get("OSDI-API-Token", ""))
    if user is None:
        return _error(401, "send a valid token in the OSDI-API-Token header")
    g.api_user = user
    return None


def _user() -> User:
    """The token's user."""
    user: User = g.api_user
    return user


def _error(status: int, message: str) -> Response:
    """An error as JSON."""
    return Response(json.dumps({"error": message}), status=status, mimetype="application/json")


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> Response:
    """A refusal the API explains."""
    db.session.rollback()
    return _error(error.status, error.message)


@bp.errorhandler(HTTPException)
@bp.errorhandler(RateLimitExceeded)  # by its code, so the site's HTML page for it does not win
def http_error(error: HTTPException) -> Response:
    """Werkzeug's errors (a malformed body, a wrong method, too many calls), as JSON."""
    return _error(error.code or 500, error.description or error.name)


@bp.get("/")
@documented(get={"summary": "The entry point: links to every collection", "responses": ok("EntryPoint")})
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


@bp.get("/petitions")
@documented(
    get={"summary": "Petitions", "parameters": PAGING, "responses": ok(collection_schema("Petition"))}
)
def petitions() -> Response:
    """A page of the token's petitions."""
    paging = Paging.from_args(request.args)
    query = paging.apply(
        resources.campaigns_query(_user(), CampaignKind.PETITION),
        resources.Campaign.created_at,
        resources.Campaign.updated_at,
    )
    rows, total = resources.page_of(query, paging)
    items = [resources.petition(row[0]) for row in rows]
    return hal(resources.collection("petitions", items, total, paging, "api.petitions"))


@bp.get("/petitions/<int(max=2147483647):petition_id>")
@documented(
    get={"summary": "A petition", "parameters": [id_parameter("petition_id")], "responses": ok("Petition")}
)
def petition(petition_id: int) -> Response:
    """One petition."""
    return hal(resources.petition(resources.campaign_or_404(_user(), petition_id, CampaignKind.PETITION)))


@bp.get("/petitions/<int(max=2147483647):petition_id>/signatures")
@documented(
    get={
        "summary": "A petition's confirmed signatures",
        "parameters": [id_parameter("petition_id"), *PAGING],
        "responses": ok(collection_schema("Signature")),
    }
)
def signatures(petition_id: int) -> Response:
    """A page of a petition's confirmed signatures."""
    campaign = resources.campaign_or_404(_user(), petition_id, CampaignKind.PETITION)
    return _signature_page(campaign, "signatures", "api.signatures", petition_id=petition_id)


def _signature_page(campaign: resources.Campaign, name: str, endpoint: str, **values: int) -> Response:
    """A page of a campaign's confirmed signatures or outreaches."""
    paging = Paging.from_args(request.args)
    query = paging.apply(
        resources.signatures_query(campaign), resources.Signature.created_at, resources.signature_modified()
    )
    rows, total = resources.page_of(query, paging)
    items = [resources.signature(row[0]) for row in rows]
    return hal(resources.collection(name, items, total, paging, endpoint, **values))


@bp.get("/petitions/<int(max=2147483647):petition_id>/signatures/<int(max=2147483647):signature_id>")
@documented(
    get={
        "summary": "A signature",
        "parameters": [id_parameter("petition_id"), id_parameter("signature_id")],
        "responses": ok("Signature"),
    }
)
def signature(petition_id: int, signature_id: int) -> Response:
    """One signature."""
    campaign = resources.campaign_or_404(_user(), petition_id, CampaignKind.PETITION)
    return hal(resources.signature(resources.signature_or_404(campaign, signature_id)))


@bp.post("/petitions/<int(max=2147483647):petition_id>/signatures")
@documented(
    post={
        "summary": "Record signature helper: a person and their signature, confirmed by email",
        "parameters": [id_parameter("petition_id")],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignatureHelper"}}},
        },
        "responses": ok("Signature", "The signature, pending until the person confirms it"),
    }
)
def record_signature(petition_id: int) -> Response:
    """Record a signature through the same path as the form."""
    campaign = resources.campaign_or_404(_user(), petition_id, CampaignKind.PETITION)
    recorded = helpers.record(campaign, helpers.json_body(), message_key="message", comment_key="comments")
    body = resources.signature(recorded)
    db.session.commit()
    return hal(body)


@bp.get("/advocacy_campaigns")
@documented(
    get={
        "summary": "Advocacy campaigns (letters to officials)",
        "parameters": PAGING,
        "responses": ok(collection_schema("AdvocacyCampaign")),
    }
)
def advocacy_campaigns() -> Response:
    """A page of the token's letter campaigns."""
    paging = Paging.from_args(request.args)
    query = paging.apply(
        resources.campaigns_query(_user(), CampaignKind.LETTER),
        resources.Campaign.created_at,
        resources.Campaign.updated_at,
    )
    rows, total = resources.page_of(query, paging)
    items = [resources.advocacy_campaign(row[0]) for row in rows]
    return hal(resources.collection("advocacy_campaigns", items, total, paging, "api.advocacy_campaigns"))


@bp.get("/advocacy_campaigns/<int(max=2147483647):campaign_id>")
@documented(
    get={
        "summary": "An advocacy campaign",
        "parameters": [id_parameter("campaign_id")],
        "responses": ok("AdvocacyCampaign"),
    }
)
def advocacy_campaign(campaign_id: int) -> Response:
    """One letter campaign."""
    return hal(
        resources.advocacy_campaign(resources.campaign_or_404(_user(), campaign_id, CampaignKind.LETTER))
    )


@bp.get("/advocacy_campaigns/<int(max=2147483647):campaign_id>/outreaches")
@documented(
    get={
        "summary": "An advocacy campaign's confirmed outreaches",
        "parameters": [id_parameter("campaign_id"), *PAGING],
        "responses": ok(collection_schema("Outreach")),
    }
)
def outreaches(campaign_id: int) -> Response:
    """A page of a letter campaign's confirmed outreaches."""
    campaign = resources.campaign_or_404(_user(), campaign_id, CampaignKind.LETTER)
    return _signature_page(campaign, "outreaches", "api.outreaches", campaign_id=campaign_id)


@bp.get("/advocacy_campaigns/<int(max=2147483647):campaign_id>/outreaches/<int(max=2147483647):outreach_id>")
@documented(
    get={
        "summary": "An outreach",
        "parameters": [id_parameter("campaign_id"), id_parameter("outreach_id")],
        "responses": ok("Outreach"),
    }
)
def outreach(campaign_id: int, outreach_id: int) -> Response:
    """One outreach."""
    campaign = resources.campaign_or_404(_user(), campaign_id, CampaignKind.LETTER)
    return hal(resources.signature(resources.signature_or_404(campaign, outreach_id)))


@bp.post("/advocacy_campaigns/<int(max=2147483647):campaign_id>/outreaches")
@documented(
    post={
        "summary": "Record outreach helper: a person and their letter, sent once they confirm by email",
        "parameters": [id_parameter("campaign_id")],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OutreachHelper"}}},
        },
        "responses": ok("Outreach", "The outreach, pending until the person confirms it"),
    }
)
def record_outreach(campaign_id: int) -> Response:
    """Record an outreach through the same path as the form."""
    campaign = resources.campaign_or_404(_user(), campaign_id, CampaignKind.LETTER)
    recorded = helpers.record(campaign, helpers.json_body(), message_key="message", comment_key="comments")
    body = resources.signature(recorded)
    db.session.commit()
    return hal(body)


@bp.get("/people")
@documented(
    get={
        "summary": "People who signed the token's campaigns",
        "parameters": PAGING,
        "responses": ok(collection_schema("Person")),
    }
)
def people() -> Response:
    """A page of the people who signed the token's campaigns."""
    user = _user()
    paging = Paging.from_args(request.args)
    query = paging.apply(
        resources.people_query(user), resources.Person.created_at, resources.Person.created_at
    )
    rows, total = resources.page_of(query, paging)
    items = [resources.person(row[0], user) for row in rows]
    return hal(resources.collection("people", items, total, paging, "api.people"))


@bp.get("/people/<int(max=2147483647):person_id>")
@documented(get={"summary": "A person", "parameters": [id_parameter("person_id")], "responses": ok("Person")})
def person(person_id: int) -> Response:
    """One person."""
    user = _user()
    return hal(resources.person(resources.person_or_404(user, person_id), user))
