"""The record-signature and record-outreach helpers: a person plus the action, through the sign path.

Like the sign form, their answer never tells whether the address had signed before: a caller
could otherwise learn who signed what by trying addresses. The person is told by email.
"""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict
from wtforms.validators import ValidationError

from campaign import clock
from campaign.api.resources import ApiError, iso, links
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.links import absolute_url
from campaign.signing import service as signing
from campaign.signing.forms import SignForm, checked_email


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 that says what is wrong with it.

    OSDI asks servers to be lenient: a JSON body is read whatever Content-Type came with it."""
    data = request.get_data(cache=True)
    if not data.strip():
        # Parsons' create_signature and create_outreach send their payload as query parameters.
        raise ApiError(400, "the body is empty: send the JSON object in the body, not in the query string")
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):
        raise ApiError(
            400, "the body is not JSON: send a JSON object (Content-Type: application/json)"
        ) from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def region_code(region: str, country: str) -> str:
    """A region as ISO 3166-2: OSDI's subdivision part ('MN' with country 'US') or the full code."""
    region = region.strip().upper()
    if region and "-" not in region and country:
        return f"{country}-{region}"
    return region


def _first(value: Any) -> dict[str, Any]:
    """The first object of a list, or an empty one."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return {}


def _text(value: Any) -> str:
    """A JSON value as form text (only strings and numbers count)."""
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def record(
    campaign: Campaign,
    body: dict[str, Any],
    *,
    message_key: str,
    comment_key: str,
    partner_ids: tuple[int, ...] = (),
) -> signing.Signed:
    """Validate the helper's body like the sign form and record it with double opt-in (with the partner
    consents it gave, which a new signature stores as the form's do).

    What it came to (new or repeat, which signature) is for the caller's records, never its answer."""
    person = body.get("person")
    if not isinstance(person, dict):
        raise ApiError(400, "a person object is required")
    email = _first(person.get("email_addresses"))
    postal = _first(person.get("postal_addresses"))
    referrer = body.get("referrer_data") if isinstance(body.get("referrer_data"), dict) else {}
    form = SignForm(
        formdata=MultiDict(
            {
                "given_name": _text(person.get("given_name")),
                "family_name": _text(person.get("family_name")),
                "email": _text(email.get("address")),
                "country": _text(postal.get("country")).upper(),
                "postal_code": _text(postal.get("postal_code")),
                "region": region_code(_text(postal.get("region")), _text(postal.get("country")).upper()),
                "comment": _text(body.get(comment_key)),
                "message": _text(body.get(message_key)),
                "email_opt_in": "y" if email.get("status") == "subscribed" else "",
                "source": _text(referrer.get("source")) if isinstance(referrer, dict) else "",
            }
        ),
        meta={"csrf": False},
    )
    if not form.validate():
        # Messages are lazy (translated when read): made into text here.
        problems = (f"{name}: {' '.join(map(str, errors))}" for name, errors in form.errors.items())
        raise ApiError(400, "; ".join(problems))
    if not campaign.is_open_at(clock.now()):
        raise ApiError(409, "this campaign is not open for signatures")
    # The API has no consent box for replies: officials never get the signer's address from it.
    request_data = replace(
        form.to_request(client_address=request.remote_addr or "", is_letter=False), partner_ids=partner_ids
    )
    try:
        return signing.sign(campaign, request_data)
    except signing.CampaignClosed:
        raise ApiError(409, "this campaign is not open for signatures") from None


def receipt(campaign: Campaign) -> dict[str, Any]:
    """The helper's answer: the same bytes for a new signer and for one who had signed before."""
    if campaign.kind == CampaignKind.LETTER:
        parent = {"osdi_advocacy_campaign": absolute_url("api.advocacy_campaign", campaign_id=campaign.id)}
    else:
        parent = {"osdi_petition": absolute_url("api.petition", petition_id=campaign.id)}
    return {
        "status": "pending",
        "message": "Received. An email is on its way to this address: "
        "a new signature counts once its owner confirms it.",
        "_links": links(**parent),
    }


def signup_address(body: dict[str, Any]) -> str:
    """The checked email address of a person signup helper's body ({"person": {...}} or the person)."""
    given = body.get("person")
    person: dict[str, Any] = given if isinstance(given, dict) else body
    address = _text(_first(person.get("email_addresses")).get("address")).strip()
    if not address:
        raise ApiError(400, "person.email_addresses[0].address is required")
    field = SimpleNamespace(data=address)
    try:
        checked_email(field)
    except ValidationError as error:
        raise ApiError(400, f"email: {error}") from None
    return str(field.data)


def unmatched_person(address: str) -> dict[str, Any]:
    """The signup helper's answer for an address that signed none of the caller's campaigns:
    the same whether it signed someone else's or nothing, so it tells nothing about anyone."""
    now = iso(clock.now())
    return {
        "identifiers": [],
        "created_date": now,
        "modified_date": now,
        "email_addresses": [{"address": address, "primary": True, "status": "unsubscribed"}],
        "message": "Not stored: people join through a signature they confirm by email. "
        "Record a signature or an outreach with this person to add them.",
        "_links": links(osdi_people=absolute_url("api.people")),
    }
