"""The record-signature and record-outreach helpers: a person plus the action, through the sign path.

Like the sign form, their answer never tells whether the address had signed before: a caller
could otherwise learn who signed what by trying addresses. The person is told by email.
"""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.datastructures import MultiDict

from campaign import clock
from campaign.api.resources import ApiError
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.links import absolute_url
from campaign.signing import service as signing
from campaign.signing.forms import SignForm


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 that says what is wrong with it."""
    if not request.is_json:
        raise ApiError(415, "send the body as application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def _first(value: Any) -> dict[str, Any]:
    """The first object of a list, or an empty one."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return {}


def _text(value: Any) -> str:
    """A JSON value as form text (only strings and numbers count)."""
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""


def record(campaign: Campaign, body: dict[str, Any], *, message_key: str, comment_key: str) -> None:
    """Validate the helper's body like the sign form and record it with double opt-in."""
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
                "region": _text(postal.get("region")),
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
    request_data = form.to_request(client_address=request.remote_addr or "", is_letter=False)
    try:
        # What sign() came to (new or repeat) is deliberately not passed on.
        signing.sign(campaign, request_data)
    except signing.CampaignClosed:
        raise ApiError(409, "this campaign is not open for signatures") from None


def receipt(campaign: Campaign) -> dict[str, Any]:
    """The helper's answer: the same bytes for a new signer and for one who had signed before."""
    if campaign.kind == CampaignKind.LETTER:
        parent = ("osdi:advocacy_campaign", absolute_url("api.advocacy_campaign", campaign_id=campaign.id))
    else:
        parent = ("osdi:petition", absolute_url("api.petition", petition_id=campaign.id))
    return {
        "status": "pending",
        "message": "Received. An email is on its way to this address: "
        "a new signature counts once its owner confirms it.",
        "_links": {parent[0]: {"href": parent[1]}},
    }
