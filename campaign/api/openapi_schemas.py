"""The schemas of the OpenAPI document: the shapes of the API's resources and of the bodies it reads."""

from __future__ import annotations

from typing import Any


def ref(name: str) -> dict[str, str]:
    """A reference to one of the document's schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


def typed(kind: str, **details: Any) -> dict[str, Any]:
    """A schema of one JSON type, with its details (format, bounds, items, description...)."""
    return {"type": kind, **details}


def fields(**schemas: str | dict[str, Any]) -> dict[str, Any]:
    """An object's properties, each a schema or, for a bare JSON type, the type's name."""
    return {name: typed(schema) if isinstance(schema, str) else schema for name, schema in schemas.items()}


def shaped(
    properties: dict[str, Any], required: list[str] | None = None, description: str | None = None
) -> dict[str, Any]:
    """An object schema with these properties, and what it requires and says of itself if anything."""
    schema: dict[str, Any] = {"type": "object"}
    if required:
        schema["required"] = required
    if description:
        schema["description"] = description
    return {**schema, "properties": properties}


def collection_schema(item: str) -> dict[str, Any]:
    """A paged collection of one resource."""
    return shaped(
        fields(
            total_records=typed("integer", minimum=0),
            total_pages="integer",
            page="integer",
            per_page="integer",
            _links="object",
            _embedded=typed("object", additionalProperties=typed("array", items=ref(item))),
        ),
        required=["total_records", "page", "per_page", "total_pages", "_embedded"],
    )


# Our extension to OSDI's helpers (campaign/api/actions.py): the partners the person agreed may email them.
_PARTNER_CONSENTS = typed(
    "array",
    maxItems=50,
    items=typed("integer", minimum=1),
    description='Ids of the campaign\'s partner organizations whose box "(partner) may email me" the '
    "person ticked, as on the sign form (stored with those words). An id that is not an accepted partner "
    "of the campaign is refused (400, naming the partners) and nothing is recorded. Only a new signature "
    "records them.",
)


def _helper(**action: dict[str, Any]) -> dict[str, Any]:
    """The body of a record helper: the person, what they add to the action, where they came from."""
    return shaped(
        fields(
            person=ref("PersonInput"),
            **action,
            referrer_data=shaped(fields(source=typed("string", maxLength=64))),
            **{"campaigns:partner_consents": _PARTNER_CONSENTS},
        ),
        required=["person"],
    )


_DATE = typed("string", format="date-time")
_HTML = typed("string", description="Sanitised HTML")
_STAMPED = {
    "identifiers": typed(
        "array",
        items=typed("string"),
        description="campaigns:<id>, the id being the one in the resource's URL",
    ),
    "origin_system": typed("string"),
    "created_date": _DATE,
    "modified_date": _DATE,
}
_REFERRER = shaped(fields(source="string"))
_SUBSCRIPTION = ["subscribed", "unsubscribed"]
SCHEMAS: dict[str, dict[str, Any]] = {
    "Link": {"type": "object", "properties": {"href": {"type": "string"}}, "required": ["href"]},
    "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
    "EntryPoint": shaped(
        fields(
            motd="string",
            vendor_name="string",
            product_name="string",
            osdi_version="string",
            max_pagesize=typed("integer", minimum=1),
            namespace="string",
            _links="object",
        ),
        required=["osdi_version", "_links"],
    ),
    "Petition": shaped(
        fields(
            **_STAMPED,
            title="string",
            summary=typed("string", description="Text only"),
            description=_HTML,
            petition_text=_HTML,
            status="string",
            total_signatures=typed("integer", minimum=0),
            target=typed("array", items=ref("Target")),
            browser_url="string",
            _links="object",
        ),
        required=["identifiers", "title", "total_signatures", "_links"],
    ),
    "AdvocacyCampaign": shaped(
        fields(
            **_STAMPED,
            title="string",
            summary="string",
            description="string",
            status="string",
            type="string",
            browser_url="string",
            targets=typed("array", items=ref("Target")),
            total_outreaches=typed("integer", minimum=0),
            _links="object",
        ),
        required=["identifiers", "title", "total_outreaches", "_links"],
    ),
    "Signature": shaped(
        fields(
            **_STAMPED,
            action_date=_DATE,
            status="string",
            comments=typed("string", description="Left out when the signer wrote none"),
            referrer_data=_REFERRER,
            _links="object",
        ),
        required=["identifiers", "status", "_links"],
    ),
    "Outreach": shaped(
        fields(
            **_STAMPED,
            action_date=_DATE,
            status="string",
            type="string",
            subject="string",
            message="string",
            targets=typed("array", items=typed("object")),
            referrer_data=_REFERRER,
            _links="object",
        ),
        required=["identifiers", "status", "_links"],
    ),
    "Person": shaped(
        fields(
            **_STAMPED,
            given_name="string",
            family_name="string",
            email_addresses=typed(
                "array",
                items=shaped(
                    fields(
                        address="string",
                        primary="boolean",
                        status=typed(
                            "string",
                            enum=_SUBSCRIPTION,
                            description="subscribed only once the person confirmed by email and opted in",
                        ),
                    )
                ),
            ),
            postal_addresses=typed(
                "array",
                items=shaped(
                    fields(
                        primary="boolean",
                        postal_code="string",
                        region=typed("string", description="The subdivision part: MN of US-MN"),
                        country="string",
                    )
                ),
            ),
            _links="object",
        ),
        required=["identifiers", "_links"],
    ),
    "PersonInput": shaped(
        fields(
            given_name=typed("string", maxLength=100),
            family_name=typed("string", maxLength=100),
            email_addresses=typed(
                "array",
                minItems=1,
                items=shaped(
                    fields(
                        address=typed("string", format="email"), status=typed("string", enum=_SUBSCRIPTION)
                    ),
                    required=["address"],
                ),
            ),
            postal_addresses=typed(
                "array",
                minItems=1,
                items=shaped(
                    fields(
                        country=typed("string", pattern="^[A-Z]{2}$"),
                        postal_code=typed("string", maxLength=16),
                        region=typed(
                            "string",
                            maxLength=8,
                            description="OSDI's subdivision part (MN, with country US) or ISO 3166-2 (US-MN)",
                        ),
                    ),
                    required=["country"],
                ),
            ),
        ),
        required=["given_name", "family_name", "email_addresses", "postal_addresses"],
    ),
    "SignatureHelper": _helper(comments=typed("string", maxLength=1000)),
    "Target": shaped(fields(name="string", title="string", organization="string")),
    "Tag": shaped(fields(name="string")),
    "PersonSignup": shaped(
        fields(
            person=shaped(
                fields(
                    email_addresses=typed(
                        "array",
                        minItems=1,
                        items=shaped(fields(address=typed("string", format="email")), required=["address"]),
                    )
                ),
                required=["email_addresses"],
            )
        ),
        required=["person"],
    ),
    "PersonUnmatched": shaped(
        fields(
            identifiers=typed("array", maxItems=0, items=typed("string")),
            created_date=_DATE,
            modified_date=_DATE,
            email_addresses=typed("array", items=typed("object")),
            message="string",
            _links="object",
        ),
        required=["identifiers", "email_addresses", "message"],
        description="The same for an address that signed someone else's campaign and for a new one.",
    ),
    "HelperReceipt": shaped(
        fields(status=typed("string", enum=["pending"]), message="string", _links="object"),
        required=["status", "message", "_links"],
        description="The same for a new signer and for one who had signed before: "
        "the person is told by email, never the caller.",
    ),
    "OutreachHelper": _helper(message=typed("string", maxLength=5000)),
}
