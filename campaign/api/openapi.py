"""The OpenAPI 3 document of the API, built by apispec from the routes' own declarations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask

F = TypeVar("F", bound=Callable[..., Any])
HAL = "application/hal+json"

_link = {"type": "object", "properties": {"href": {"type": "string"}}, "required": ["href"]}
_stamped = {
    "identifiers": {
        "type": "array",
        "items": {"type": "string"},
        "description": "campaigns:<id>, the id being the one in the resource's URL",
    },
    "origin_system": {"type": "string"},
    "created_date": {"type": "string", "format": "date-time"},
    "modified_date": {"type": "string", "format": "date-time"},
}
SCHEMAS: dict[str, dict[str, Any]] = {
    "Link": _link,
    "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
    "EntryPoint": {
        "type": "object",
        "required": ["osdi_version", "_links"],
        "properties": {
            "motd": {"type": "string"},
            "vendor_name": {"type": "string"},
            "product_name": {"type": "string"},
            "osdi_version": {"type": "string"},
            "max_pagesize": {"type": "integer", "minimum": 1},
            "namespace": {"type": "string"},
            "_links": {"type": "object"},
        },
    },
    "Petition": {
        "type": "object",
        "required": ["identifiers", "title", "total_signatures", "_links"],
        "properties": {
            **_stamped,
            "title": {"type": "string"},
            "summary": {"type": "string", "description": "Text only"},
            "description": {"type": "string", "description": "Sanitised HTML"},
            "petition_text": {"type": "string", "description": "Sanitised HTML"},
            "status": {"type": "string"},
            "total_signatures": {"type": "integer", "minimum": 0},
            "target": {"type": "array", "items": {"$ref": "#/components/schemas/Target"}},
            "browser_url": {"type": "string"},
            "_links": {"type": "object"},
        },
    },
    "AdvocacyCampaign": {
        "type": "object",
        "required": ["identifiers", "title", "total_outreaches", "_links"],
        "properties": {
            **_stamped,
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "description": {"type": "string"},
            "status": {"type": "string"},
            "type": {"type": "string"},
            "browser_url": {"type": "string"},
            "targets": {"type": "array", "items": {"$ref": "#/components/schemas/Target"}},
            "total_outreaches": {"type": "integer", "minimum": 0},
            "_links": {"type": "object"},
        },
    },
    "Signature": {
        "type": "object",
        "required": ["identifiers", "status", "_links"],
        "properties": {
            **_stamped,
            "action_date": {"type": "string", "format": "date-time"},
            "status": {"type": "string"},
            "comments": {"type": "string", "description": "Left out when the signer wrote none"},
            "referrer_data": {"type": "object", "properties": {"source": {"type": "string"}}},
            "_links": {"type": "object"},
        },
    },
    "Outreach": {
        "type": "object",
        "required": ["identifiers", "status", "_links"],
        "properties": {
            **_stamped,
            "action_date": {"type": "string", "format": "date-time"},
            "status": {"type": "string"},
            "type": {"type": "string"},
            "subject": {"type": "string"},
            "message": {"type": "string"},
            "targets": {"type": "array", "items": {"type": "object"}},
            "referrer_data": {"type": "object", "properties": {"source": {"type": "string"}}},
            "_links": {"type": "object"},
        },
    },
    "Person": {
        "type": "object",
        "required": ["identifiers", "_links"],
        "properties": {
            **_stamped,
            "given_name": {"type": "string"},
            "family_name": {"type": "string"},
            "email_addresses": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "address": {"type": "string"},
                        "primary": {"type": "boolean"},
                        "status": {
                            "type": "string",
                            "enum": ["subscribed", "unsubscribed"],
                            "description": "subscribed only once the person confirmed by email and opted in",
                        },
                    },
                },
            },
            "postal_addresses": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "primary": {"type": "boolean"},
                        "postal_code": {"type": "string"},
                        "region": {"type": "string", "description": "The subdivision part: MN of US-MN"},
                        "country": {"type": "string"},
                    },
                },
            },
            "_links": {"type": "object"},
        },
    },
    "PersonInput": {
        "type": "object",
        "required": ["given_name", "family_name", "email_addresses", "postal_addresses"],
        "properties": {
            "given_name": {"type": "string", "maxLength": 100},
            "family_name": {"type": "string", "maxLength": 100},
            "email_addresses": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["address"],
                    "properties": {
                        "address": {"type": "string", "format": "email"},
                        "status": {"type": "string", "enum": ["subscribed", "unsubscribed"]},
                    },
                },
            },
            "postal_addresses": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["country"],
                    "properties": {
                        "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
                        "postal_code": {"type": "string", "maxLength": 16},
                        "region": {
                            "type": "string",
                            "maxLength": 8,
                            "description": "OSDI's subdivision part (MN, with country US) "
                            "or ISO 3166-2 (US-MN)",
                        },
                    },
                },
            },
        },
    },
    "SignatureHelper": {
        "type": "object",
        "required": ["person"],
        "properties": {
            "person": {"$ref": "#/components/schemas/PersonInput"},
            "comments": {"type": "string", "maxLength": 1000},
            "referrer_data": {
                "type": "object",
                "properties": {"source": {"type": "string", "maxLength": 64}},
            },
        },
    },
    "Target": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "title": {"type": "string"},
            "organization": {"type": "string"},
        },
    },
    "Tag": {"type": "object", "properties": {"name": {"type": "string"}}},
    "PersonSignup": {
        "type": "object",
        "required": ["person"],
        "properties": {
            "person": {
                "type": "object",
                "required": ["email_addresses"],
                "properties": {
                    "email_addresses": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["address"],
                            "properties": {"address": {"type": "string", "format": "email"}},
                        },
                    },
                },
            },
        },
    },
    "PersonUnmatched": {
        "type": "object",
        "required": ["identifiers", "email_addresses", "message"],
        "description": "The same for an address that signed someone else's campaign and for a new one.",
        "properties": {
            "identifiers": {"type": "array", "maxItems": 0, "items": {"type": "string"}},
            "created_date": {"type": "string", "format": "date-time"},
            "modified_date": {"type": "string", "format": "date-time"},
            "email_addresses": {"type": "array", "items": {"type": "object"}},
            "message": {"type": "string"},
            "_links": {"type": "object"},
        },
    },
    "HelperReceipt": {
        "type": "object",
        "required": ["status", "message", "_links"],
        "description": "The same for a new signer and for one who had signed before: "
        "the person is told by email, never the caller.",
        "properties": {
            "status": {"type": "string", "enum": ["pending"]},
            "message": {"type": "string"},
            "_links": {"type": "object"},
        },
    },
    "OutreachHelper": {
        "type": "object",
        "required": ["person"],
        "properties": {
            "person": {"$ref": "#/components/schemas/PersonInput"},
            "message": {"type": "string", "maxLength": 5000},
            "referrer_data": {
                "type": "object",
                "properties": {"source": {"type": "string", "maxLength": 64}},
            },
        },
    },
}


def collection_schema(item: str) -> dict[str, Any]:
    """A paged collection of one resource."""
    return {
        "type": "object",
        "required": ["total_records", "page", "per_page", "total_pages", "_embedded"],
        "properties": {
            "total_records": {"type": "integer", "minimum": 0},
            "total_pages": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "_links": {"type": "object"},
            "_embedded": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
            },
        },
    }


def _error(description: str) -> dict[str, Any]:
    """A documented error answer."""
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


ERRORS = {
    "400": _error("Malformed request (a filter that does not parse, a body that is not JSON)"),
    "401": _error("Missing or invalid OSDI-API-Token"),
    "404": _error("No such resource in your scope"),
    "429": _error("Too many requests"),
}
SIGNER_ERRORS = {
    "403": _error(
        "Reading signers needs staff access, or an organization that allows its members to export "
        "its signers (only that organization's campaigns)"
    ),
}
STATUS = {
    "name": "status",
    "in": "query",
    "schema": {
        "type": "string",
        "enum": ["validated", "pending", "invalidated", "all"],
        "default": "validated",
    },
    "description": "Which signatures count: confirmed ones unless pending, invalidated or all are asked for",
}
FILTER_HELP = (
    "OSDI's filter language: comparisons field eq|ne|gt|ge|lt|le value, joined by and/or, grouped "
    "with parentheses; text and dates in single quotes (a quote inside doubled), dates in ISO 8601 "
    "with their UTC offset applied, e.g. modified_date gt '2026-12-04T14:30:09-05:00'. "
)


def _paging(fields: str) -> list[dict[str, Any]]:
    """page, per_page and filter, the filter over these fields."""
    return [
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
        {
            "name": "filter",
            "in": "query",
            "schema": {"type": "string", "maxLength": 2000},
            "description": FILTER_HELP + "Fields: " + fields,
        },
    ]


PAGING = _paging(
    "created_date, modified_date, title (campaigns); created_date, modified_date, action_date, "
    "email_address, country, region (signatures and outreaches)"
)
PAGING_PEOPLE = _paging(
    "created_date, modified_date, email_address, country, region. postal_code is refused (400): "
    "postal codes are sealed in the database"
)


def ok(schema: str | dict[str, Any], description: str = "OK", status: str = "200") -> dict[str, Any]:
    """A documented success answer in HAL+JSON."""
    body = {"$ref": f"#/components/schemas/{schema}"} if isinstance(schema, str) else schema
    return {status: {"description": description, "content": {HAL: {"schema": body}}}, **ERRORS}


def signers(schema: str | dict[str, Any]) -> dict[str, Any]:
    """The answers of a read of people's data: success, or a 403 where the exports' rules refuse it."""
    return {**ok(schema), **SIGNER_ERRORS}


def accepted(schema: str, description: str) -> dict[str, Any]:
    """A documented 202 answer in HAL+JSON."""
    return ok(schema, description, status="202")


def id_parameter(name: str) -> dict[str, Any]:
    """A path parameter holding a record's number."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
    }


def documented(**operations: dict[str, Any]) -> Callable[[F], F]:
    """Attach the OpenAPI operations of a view (get=..., post=...) for the document."""

    def attach(view: F) -> F:
        view._openapi = operations  # type: ignore[attr-defined]
        return view

    return attach


def build_spec(app: Flask, blueprint: str) -> dict[str, Any]:
    """The OpenAPI document of every documented view of the blueprint."""
    spec = APISpec(
        title="Campaign platform OSDI API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[FlaskPlugin()],
        info={
            "description": "Petitions, signatures, advocacy campaigns, outreaches and people, "
            "in the shapes of the Open Supporter Data Interface."
        },
    )
    spec.components.security_scheme(
        "osdiToken",
        {
            "type": "apiKey",
            "in": "header",
            "name": "OSDI-API-Token",
            "description": "Only the header: OSDI's osdi-api-token query parameter is refused, because "
            "URLs (and the token in them) end up in proxy, server and browser logs.",
        },
    )
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    for endpoint, view in app.view_functions.items():
        operations = getattr(view, "_openapi", None)
        if endpoint.startswith(blueprint + ".") and operations:
            with app.test_request_context():
                spec.path(view=view, operations=operations, app=app)
    document = spec.to_dict()
    document["security"] = [{"osdiToken": []}]
    return document
