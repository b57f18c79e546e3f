"""The OSDI API's routes, all on one blueprint: importing this module registers every one of them.

The front door and the token checks are in blueprint.py, petitions and advocacy campaigns (and
their signatures and outreaches) in campaign_routes.py, people in people_routes.py; here are the
tags, which the platform does not have, and the first identifiers' redirects.
"""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, request, url_for

# Imported for their views: they register on bp, in the order the OpenAPI document lists them.
from campaign.api import campaign_routes, people_routes  # noqa: F401
from campaign.api.blueprint import bp, hal
from campaign.api.openapi import documented, ok, operation
from campaign.api.openapi_schemas import collection_schema
from campaign.api.resources import ApiError, Paging, collection
from campaign.validation import whole_number

LEGACY = {
    "petitions": ("petition", "api.petition", "petition_id"),
    "advocacy_campaigns": ("advocacy_campaign", "api.advocacy_campaign", "campaign_id"),
    "people": ("person", "api.person", "person_id"),
}


@bp.get("/tags")
@documented(get=operation("Tags: none, the platform has no tags", ok(collection_schema("Tag"))))
def tags() -> Response:
    """An empty collection: clients that read the tags first (the osdi package does) find none."""
    paging = Paging.from_args(request.args)
    return hal(collection("tags", [], 0, paging, "api.tags"))


@bp.get("/<any(petitions, advocacy_campaigns, people):collection>/<legacy_id>")
def legacy_id(collection: str, legacy_id: str) -> Response:
    """The ids of the first identifiers ('petition-12') still lead to their resource."""
    kind, endpoint, argument = LEGACY[collection]
    prefix, _, digits = legacy_id.partition("-")
    number = whole_number(digits)
    if prefix != kind or number is None:
        raise ApiError(404, "no such resource")
    values: dict[str, Any] = {**request.args.to_dict(), argument: number}
    target = url_for(endpoint, **values)
    return redirect(target, code=308)  # type: ignore[return-value]
