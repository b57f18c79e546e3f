"""The webhooks of the OpenAPI document (OpenAPI 3.1's top-level `webhooks`): the events an
organization's endpoints are sent, the body of each post and the headers that sign it, as
campaign/webhooks/payloads.py and delivery.py write them (docs/API.md, Webhooks)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from campaign.api.openapi_schemas import fields, ref, shaped, typed
from campaign.webhooks.models import (
    EVENTS,
    OUTREACH_SENT,
    SIGNATURE_ADDED,
    SIGNATURE_CONFIRMED,
    SIGNATURE_WITHDRAWN,
)

WHEN = {
    SIGNATURE_ADDED: "Someone signed: the signature is pending until its signer confirms it by email. It "
    "carries the signature's own fields only (identifiers, links to itself and its campaign, status, "
    "dates), nothing of the person: until the address's owner confirms, nothing says it is theirs.",
    SIGNATURE_CONFIRMED: "The signer confirmed by email: the signature counts. The only event that "
    "carries personal data (person, comments, message), and only if the organization lets its members "
    "export its signers.",
    SIGNATURE_WITHDRAWN: "The signer withdrew the signature, or erased everything held about them. "
    "No personal data.",
    OUTREACH_SENT: "A letter campaign's letter left for an official (once per signer). No personal data.",
}
EVENT_ID = "^evt_[0-9a-f]{32}$"
_PERSONAL = (
    "Only with signature.confirmed, and only if the organization lets its members export its signers "
    "(the exports' rule)."
)
_DATE = typed("string", format="date-time")

SCHEMAS: dict[str, dict[str, Any]] = {
    "WebhookEvent": {
        **shaped(
            fields(
                id=typed(
                    "string",
                    pattern=EVENT_ID,
                    description="The same on every retry and for every endpoint (X-Campaign-Event-Id): "
                    "de-duplicate by it",
                ),
                type=typed("string", enum=list(EVENTS)),
                created_date=typed("string", format="date-time", description="When it happened"),
                origin_system="string",
                **{"osdi:signature": ref("WebhookAction"), "osdi:outreach": ref("WebhookAction")},
            ),
            required=["id", "type", "created_date", "origin_system"],
            description="One event. Its resource is osdi:signature on a petition, osdi:outreach on a "
            "letter campaign. Events are not ordered: compare modified_date if order matters.",
        ),
        "oneOf": [{"required": ["osdi:signature"]}, {"required": ["osdi:outreach"]}],
    },
    "WebhookAction": shaped(
        fields(
            identifiers=typed("array", items=typed("string")),
            origin_system="string",
            created_date=_DATE,
            modified_date=_DATE,
            action_date=_DATE,
            status=typed("string", description="pending until confirmed by email, then validated"),
            type=typed("string", description="email, on an outreach"),
            subject=typed("string", description="The campaign's title, on an outreach"),
            targets=typed("array", items=ref("Target"), description="The officials, on an outreach"),
            referrer_data=shaped(fields(source="string")),
            comments=typed("string", description="The signer's comment. " + _PERSONAL),
            message=typed("string", description="The letter's own words, on an outreach. " + _PERSONAL),
            person={"$ref": "#/components/schemas/Person", "description": "The signer. " + _PERSONAL},
            _links=typed(
                "object", description="self, osdi:person and osdi:petition or osdi:advocacy_campaign"
            ),
        ),
        required=["identifiers", "_links"],
        description="The API's signature (or outreach) as it is when the event is sent; one deleted "
        "since (never confirmed) is its identifiers and links alone. Without personal data its ids and "
        "links can be followed with a token allowed to read signers.",
    ),
}


def _headers() -> list[dict[str, Any]]:
    """The headers every post carries."""
    return [
        {
            "name": "X-Campaign-Signature",
            "in": "header",
            "required": True,
            "schema": typed("string", pattern="^t=[0-9]+,v1=[0-9a-f]{64}$"),
            "description": 't=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" under the endpoint\'s '
            "secret> (whsec_..., shown once when the endpoint is made or its secret replaced). Check it "
            "on the raw bytes before parsing them, and refuse old timestamps (e.g. over 300 seconds) so "
            "that a captured event cannot be replayed.",
        },
        {
            "name": "X-Campaign-Event-Id",
            "in": "header",
            "required": True,
            "schema": typed("string", pattern=EVENT_ID),
            "description": "The body's id. A delivery is marked delivered at most once, but a worker "
            "stopped mid-post may post it again with the same id: de-duplicate by it.",
        },
        {
            "name": "X-Campaign-Event",
            "in": "header",
            "required": True,
            "schema": typed("string", enum=list(EVENTS)),
            "description": "The body's type.",
        },
    ]


def webhooks(config: Mapping[str, Any]) -> dict[str, Any]:
    """The document's `webhooks`: one POST per event, to the HTTPS endpoint an organization registered."""
    answered = (
        f"Delivered. Anything else, no answer within {config['WEBHOOK_TIMEOUT_SECONDS']} seconds or a "
        f"redirect (never followed) is a failure, retried after {config['WEBHOOK_RETRY_SECONDS']} "
        f"seconds, doubling up to an hour, for {config['WEBHOOK_RETRY_HOURS']} hours. After "
        f"{config['WEBHOOK_DISABLE_AFTER_FAILURES']} failures in a row or "
        f"{config['WEBHOOK_DISABLE_AFTER_HOURS']} hours of failing the endpoint is turned off and the "
        "organization's owners are emailed."
    )
    return {
        event: {
            "post": {
                "summary": event,
                "description": WHEN[event],
                "security": [],
                "parameters": _headers(),
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("WebhookEvent")}},
                },
                "responses": {"2XX": {"description": answered}},
            }
        }
        for event in EVENTS
    }
