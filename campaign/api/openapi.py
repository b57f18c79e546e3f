"""The OpenAPI 3 document of the API, built by apispec from the routes' own declarations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from apispec import APISpec
from apispec_webframeworks.flask import FlaskPlugin
from flask import Flask

from campaign.api import openapi_webhooks
from campaign.api.openapi_schemas import SCHEMAS, collection_schema, ref

F = TypeVar("F", bound=Callable[..., Any])
HAL = "application/hal+json"


def _error(description: str) -> dict[str, Any]:
    """A documented error answer."""
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


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
    "with their UTC offset applied, e.g. modified_date gt '2026-12-04T14:30:09-05:00'. OSDI's "
    "optional like, re and near are not supported (400). A value holding a NUL character, or a date "
    "from 9999-12-31T23:59:59Z on, is refused (400). "
)
SEALED_HELP = (
    "postal_code is refused (400): postal codes are sealed (encrypted) in the database and cannot "
    "be compared by a query"
)
BODY_HELP = (
    "Read as JSON whatever its Content-Type (OSDI asks servers to be lenient: text/plain, form types "
    'or none are read as JSON too). An empty body answers 400 "the body is empty: send the JSON '
    "object in the body, not in the query string\": Parsons' create_signature and create_outreach "
    "send the payload as query parameters, so post it as the body yourself."
)
BODY_ERROR = _error(
    "The body is empty (Parsons' create_signature and create_outreach send their payload as query "
    "parameters), is not a JSON object, or does not validate (the message names the fields)"
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


PAGING = _paging("created_date, modified_date, title")
PAGING_ACTIONS = _paging(
    "created_date, modified_date, action_date, email_address, country, region. " + SEALED_HELP
)
PAGING_PEOPLE = _paging("created_date, modified_date, email_address, country, region. " + SEALED_HELP)


def ok(schema: str | dict[str, Any], description: str = "OK", status: str = "200") -> dict[str, Any]:
    """A documented success answer in HAL+JSON."""
    body = ref(schema) if isinstance(schema, str) else schema
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


def operation(
    summary: str,
    responses: dict[str, Any],
    *parameters: dict[str, Any],
    description: str | None = None,
    body: str | None = None,
) -> dict[str, Any]:
    """A documented operation: its summary, what it says and takes (if anything), and its answers."""
    declared: dict[str, Any] = {"summary": summary}
    if description:
        declared["description"] = description
    if parameters:
        declared["parameters"] = list(parameters)
    if body:
        declared["requestBody"] = {
            "required": True,
            "description": BODY_HELP,
            "content": {"application/json": {"schema": ref(body)}},
        }
        responses = {**responses, "400": BODY_ERROR}
    return {**declared, "responses": responses}


def signers_page(summary: str, item: str, parent: str) -> dict[str, Any]:
    """A read of a page of signers' records under a parent (a campaign, a person), by status."""
    return operation(summary, signers(collection_schema(item)), id_parameter(parent), *PAGING_ACTIONS, STATUS)


def signers_record(summary: str, item: str, *ids: str) -> dict[str, Any]:
    """A read of one signer's record, found by these ids, by status."""
    return operation(summary, signers(item), *map(id_parameter, ids), STATUS)


def record_helper(summary: str, parent: str, body: str, answer: str) -> dict[str, Any]:
    """A record helper: the body it reads for a campaign, and the receipt that tells nothing of the signer."""
    return operation(summary, accepted("HelperReceipt", answer), id_parameter(parent), body=body)


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
        openapi_version="3.1.0",
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
    for name, schema in {**SCHEMAS, **openapi_webhooks.SCHEMAS}.items():
        spec.components.schema(name, schema)
    for endpoint, view in app.view_functions.items():
        operations = getattr(view, "_openapi", None)
        if endpoint.startswith(blueprint + ".") and operations:
            with app.test_request_context():
                spec.path(view=view, operations=operations, app=app)
    document = spec.to_dict()
    document["security"] = [{"osdiToken": []}]
    document["webhooks"] = openapi_webhooks.webhooks(app.config)
    return document
