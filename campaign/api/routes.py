"""The OSDI API: thin views over resources.py, each declaring its OpenAPI operation.

Signers (people, signatures, outreaches) are read under the exports' rules: staff, or an
organizer of an organization that allows member exports, for its campaigns only; validated
signatures unless ?status= asks for others; and every such read is audited before it is answered.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, current_app, g, redirect, request, url_for
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException, InternalServerError

from campaign.accounts.models import User
from campaign.api import helpers, persons, resources
from campaign.api.models import ApiToken
from campaign.api.openapi import (
    HAL,
    PAGING,
    PAGING_PEOPLE,
    STATUS,
    accepted,
    build_spec,
    collection_schema,
    documented,
    id_parameter,
    ok,
    signers,
)
from campaign.api.resources import ApiError, Paging
from campaign.api.tokens import active_token
from campaign.audit.service import record
from campaign.campaigns.models import CampaignKind
from campaign.extensions import csrf, db, limiter
from campaign.privacy.keys import KeysMissing
from campaign.privacy.vault import CannotOpen
from campaign.signing.models import Person, SignatureStatus
from campaign.signing.service import email_index

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Scripts authenticate by token, not by cookie: there is no session to forge a request in.
csrf.exempt(bp)
PUBLIC = frozenset({"api.openapi"})
NOT_ALLOWED = (
    "reading signers needs staff access, or an organization that allows its members to export "
    "its signers; ask an owner of the organization to allow member exports"
)


def _token_key() -> str:
    """Rate-limit per token (or per address without one)."""
    token = request.headers.get("OSDI-API-Token", "")
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16] if token else str(request.remote_addr)


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_token_key)(bp)


def _bad_token_key() -> str:
    """Wrong tokens are counted per client address (as ProxyFix gives it): a new guess is no new bucket."""
    return f"api-bad-token:{request.remote_addr}"


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


def _token() -> ApiToken:
    """The request's token."""
    token: ApiToken = g.api_token
    return token


def _user() -> User:
    """The token's user."""
    return _token().user


def _signers_campaign(campaign_id: int, kind: CampaignKind) -> resources.Campaign:
    """A campaign in the token's scope whose signers its user may read: 404 outside, 403 if not allowed."""
    campaign = resources.campaign_or_404(_user(), campaign_id, kind)
    if not resources.may_read_signers(_user(), campaign):
        raise ApiError(403, NOT_ALLOWED)
    return campaign


def _status_arg() -> dict[str, str]:
    """The status asked for, to keep in the paging links."""
    return {"status": request.args["status"]} if "status" in request.args else {}


def _audited(body: Any, subject: str, ids: list[int], **details: Any) -> Response:
    """Record who read which signers through which endpoint, commit, then answer."""
    record(
        f"user:{_user().id}",
        "api.signers_read",
        subject,
        endpoint=request.endpoint,
        token_id=_token().id,
        rows=len(ids),
        ids=ids,
        **details,
    )
    db.session.commit()  # the record is written before a byte of personal data leaves
    return hal(body)


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
    query = paging.apply(resources.campaigns_query(_user(), CampaignKind.PETITION), resources.CAMPAIGN_FIELDS)
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
        "summary": "A petition's signatures (confirmed ones unless status says otherwise)",
        "parameters": [id_parameter("petition_id"), *PAGING, STATUS],
        "responses": signers(collection_schema("Signature")),
    }
)
def signatures(petition_id: int) -> Response:
    """A page of a petition's signatures."""
    campaign = _signers_campaign(petition_id, CampaignKind.PETITION)
    return _signature_page(campaign, "signatures", "api.signatures", petition_id=petition_id)


def _signature_page(campaign: resources.Campaign, name: str, endpoint: str, **values: int) -> Response:
    """A page of a campaign's signatures or outreaches, of the statuses asked for; audited."""
    paging = Paging.from_args(request.args)
    statuses = resources.statuses_from_args(request.args)
    query = paging.apply(resources.signatures_query(campaign, statuses), resources.SIGNATURE_FIELDS)
    rows, total = resources.page_of(query, paging)
    items = [resources.signature(row[0]) for row in rows]
    body = resources.collection(name, items, total, paging, endpoint, **values, **_status_arg())
    return _audited(
        body,
        f"campaign:{campaign.id}",
        [row[0].id for row in rows],
        statuses=sorted(statuses),
        page=paging.page,
    )


@bp.get("/petitions/<int(max=2147483647):petition_id>/signatures/<int(max=2147483647):signature_id>")
@documented(
    get={
        "summary": "A signature",
        "parameters": [id_parameter("petition_id"), id_parameter("signature_id"), STATUS],
        "responses": signers("Signature"),
    }
)
def signature(petition_id: int, signature_id: int) -> Response:
    """One signature (a confirmed one unless status says otherwise)."""
    campaign = _signers_campaign(petition_id, CampaignKind.PETITION)
    return _one_signature(campaign, signature_id)


def _one_signature(campaign: resources.Campaign, signature_id: int) -> Response:
    """One of a campaign's signatures or outreaches, of the statuses asked for; audited."""
    statuses = resources.statuses_from_args(request.args)
    found = resources.signature_or_404(campaign, signature_id, statuses)
    return _audited(
        resources.signature(found), f"campaign:{campaign.id}", [found.id], statuses=sorted(statuses)
    )


@bp.post("/petitions/<int(max=2147483647):petition_id>/signatures")
@documented(
    post={
        "summary": "Record signature helper: a person and their signature, confirmed by email",
        "parameters": [id_parameter("petition_id")],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignatureHelper"}}},
        },
        "responses": accepted(
            "HelperReceipt", "Received: the same answer whether the person had signed or not"
        ),
    }
)
def record_signature(petition_id: int) -> Response:
    """Record a signature through the same path as the form; the answer tells nothing about the signer."""
    campaign = resources.campaign_or_404(_user(), petition_id, CampaignKind.PETITION)
    helpers.record(campaign, helpers.json_body(), message_key="message", comment_key="comments")
    db.session.commit()
    return hal(helpers.receipt(campaign), status=202)


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
    query = paging.apply(resources.campaigns_query(_user(), CampaignKind.LETTER), resources.CAMPAIGN_FIELDS)
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
        "summary": "An advocacy campaign's outreaches (confirmed ones unless status says otherwise)",
        "parameters": [id_parameter("campaign_id"), *PAGING, STATUS],
        "responses": signers(collection_schema("Outreach")),
    }
)
def outreaches(campaign_id: int) -> Response:
    """A page of a letter campaign's outreaches."""
    campaign = _signers_campaign(campaign_id, CampaignKind.LETTER)
    return _signature_page(campaign, "outreaches", "api.outreaches", campaign_id=campaign_id)


@bp.get("/advocacy_campaigns/<int(max=2147483647):campaign_id>/outreaches/<int(max=2147483647):outreach_id>")
@documented(
    get={
        "summary": "An outreach",
        "parameters": [id_parameter("campaign_id"), id_parameter("outreach_id"), STATUS],
        "responses": signers("Outreach"),
    }
)
def outreach(campaign_id: int, outreach_id: int) -> Response:
    """One outreach (a confirmed one unless status says otherwise)."""
    return _one_signature(_signers_campaign(campaign_id, CampaignKind.LETTER), outreach_id)


@bp.post("/advocacy_campaigns/<int(max=2147483647):campaign_id>/outreaches")
@documented(
    post={
        "summary": "Record outreach helper: a person and their letter, sent once they confirm by email",
        "parameters": [id_parameter("campaign_id")],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OutreachHelper"}}},
        },
        "responses": accepted(
            "HelperReceipt", "Received: the same answer whether the person had written or not"
        ),
    }
)
def record_outreach(campaign_id: int) -> Response:
    """Record an outreach through the same path as the form; the answer tells nothing about the writer."""
    campaign = resources.campaign_or_404(_user(), campaign_id, CampaignKind.LETTER)
    helpers.record(campaign, helpers.json_body(), message_key="message", comment_key="comments")
    db.session.commit()
    return hal(helpers.receipt(campaign), status=202)


@bp.get("/people")
@documented(
    get={
        "summary": "People with a confirmed signature (or one of the status asked for) on a campaign "
        "whose signers the token may read",
        "parameters": [*PAGING_PEOPLE, STATUS],
        "responses": signers(collection_schema("Person")),
    }
)
def people() -> Response:
    """A page of the people who signed the campaigns whose signers the token's user may read."""
    user = _user()
    if not resources.may_read_signers(user):
        raise ApiError(403, NOT_ALLOWED)
    paging = Paging.from_args(request.args)
    statuses = resources.statuses_from_args(request.args)
    query = paging.apply(persons.people_query(user, statuses), persons.people_fields(user))
    rows, total = resources.page_of(query, paging)
    items = [persons.person(row[0], user) for row in rows]
    body = resources.collection("people", items, total, paging, "api.people", **_status_arg())
    return _audited(
        body,
        "people",
        [row[0].id for row in rows],
        scope=resources.signer_scope(user),
        statuses=sorted(statuses),
        page=paging.page,
    )


@bp.get("/people/<int(max=2147483647):person_id>")
@documented(
    get={
        "summary": "A person",
        "parameters": [id_parameter("person_id"), STATUS],
        "responses": signers("Person"),
    }
)
def person(person_id: int) -> Response:
    """One person, if they signed a campaign whose signers the token's user may read."""
    user = _user()
    if not resources.may_read_signers(user):
        raise ApiError(403, NOT_ALLOWED)
    statuses = resources.statuses_from_args(request.args)
    found = persons.person_or_404(user, person_id, statuses)
    return _audited(
        persons.person(found, user),
        f"person:{found.id}",
        [found.id],
        scope=resources.signer_scope(user),
        statuses=sorted(statuses),
    )


@bp.post("/people")
@documented(
    post={
        "summary": "Person signup helper: find a person who signed one of your campaigns by email address",
        "description": "Stores nothing: people join only through a signature they confirm by email. "
        "An address that signed one of the token's readable campaigns answers that person; any other "
        "address answers the address alone, without identifiers, whether or not it signed someone else's.",
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PersonSignup"}}},
        },
        "responses": signers(
            {
                "anyOf": [
                    {"$ref": "#/components/schemas/Person"},
                    {"$ref": "#/components/schemas/PersonUnmatched"},
                ]
            }
        ),
    }
)
def person_signup() -> Response:
    """Match a person by email address within the signers the token's user may read; audited."""
    user = _user()
    if not resources.may_read_signers(user):
        raise ApiError(403, NOT_ALLOWED)
    address = helpers.signup_address(helpers.json_body())
    found = db.session.execute(
        persons.people_query(user, frozenset(SignatureStatus)).where(
            Person.email_index == email_index(address)
        )
    ).scalar_one_or_none()
    scope = resources.signer_scope(user)
    if found is None:
        return _audited(helpers.unmatched_person(address), "people", [], scope=scope, matched=False)
    return _audited(persons.person(found, user), f"person:{found.id}", [found.id], scope=scope, matched=True)


def _person_actions(person_id: int, kind: CampaignKind, name: str, endpoint: str) -> Response:
    """A page of a person's signatures or outreaches on campaigns whose signers the user may read."""
    user = _user()
    if not resources.may_read_signers(user):
        raise ApiError(403, NOT_ALLOWED)
    statuses = resources.statuses_from_args(request.args)
    found = persons.person_or_404(user, person_id, frozenset(SignatureStatus))
    paging = Paging.from_args(request.args)
    query = paging.apply(
        persons.person_signatures_query(user, found.id, kind, statuses), resources.SIGNATURE_FIELDS
    )
    rows, total = resources.page_of(query, paging)
    items = [resources.signature(row[0]) for row in rows]
    body = resources.collection(name, items, total, paging, endpoint, person_id=person_id, **_status_arg())
    return _audited(
        body,
        f"person:{found.id}",
        [row[0].id for row in rows],
        scope=resources.signer_scope(user),
        statuses=sorted(statuses),
        page=paging.page,
    )


@bp.get("/people/<int(max=2147483647):person_id>/signatures")
@documented(
    get={
        "summary": "A person's signatures on petitions whose signers the token may read",
        "parameters": [id_parameter("person_id"), *PAGING, STATUS],
        "responses": signers(collection_schema("Signature")),
    }
)
def person_signatures(person_id: int) -> Response:
    """A page of a person's signatures."""
    return _person_actions(person_id, CampaignKind.PETITION, "signatures", "api.person_signatures")


@bp.get("/people/<int(max=2147483647):person_id>/outreaches")
@documented(
    get={
        "summary": "A person's outreaches on advocacy campaigns whose signers the token may read",
        "parameters": [id_parameter("person_id"), *PAGING, STATUS],
        "responses": signers(collection_schema("Outreach")),
    }
)
def person_outreaches(person_id: int) -> Response:
    """A page of a person's outreaches."""
    return _person_actions(person_id, CampaignKind.LETTER, "outreaches", "api.person_outreaches")


@bp.get("/tags")
@documented(
    get={"summary": "Tags: none, the platform has no tags", "responses": ok(collection_schema("Tag"))}
)
def tags() -> Response:
    """An empty collection: clients that read the tags first (the osdi package does) find none."""
    paging = Paging.from_args(request.args)
    return hal(resources.collection("tags", [], 0, paging, "api.tags"))


LEGACY = {
    "petitions": ("petition", "api.petition", "petition_id"),
    "advocacy_campaigns": ("advocacy_campaign", "api.advocacy_campaign", "campaign_id"),
    "people": ("person", "api.person", "person_id"),
}


@bp.get("/<any(petitions, advocacy_campaigns, people):collection>/<legacy_id>")
def legacy_id(collection: str, legacy_id: str) -> Response:
    """The ids of the first identifiers ('petition-12') still lead to their resource."""
    kind, endpoint, argument = LEGACY[collection]
    prefix, _, number = legacy_id.partition("-")
    if prefix != kind or not number.isdigit() or len(number) > 9:
        raise ApiError(404, "no such resource")
    values: dict[str, Any] = {**request.args.to_dict(), argument: int(number)}
    target = url_for(endpoint, **values)
    return redirect(target, code=308)  # type: ignore[return-value]
