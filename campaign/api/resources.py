"""What every OSDI resource shares: refusals, paging and the query string, collections, identifiers
and links, and the entry point that leads to the collections."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from campaign.api import filters
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.signing.models import SignatureStatus
from campaign.validation import whole_number

VENDOR = "campaigns"
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
# ?status= on signer reads: validated unless another status is asked for by name.
STATUS_CHOICES = ("validated", "pending", "invalidated", "all")
ORIGIN_SYSTEM = "Campaign platform"
CURIES = [{"name": "osdi", "href": "https://opensupporter.github.io/osdi-docs/{rel}", "templated": True}]


class ApiError(Exception):
    """A request the API refuses, with the status and the message to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Paging:
    """Which page of a collection was asked for, and how it is filtered."""

    page: int
    per_page: int
    filter: filters.Node | None = None

    @classmethod
    def from_args(cls, args: Any) -> Paging:
        """Read page, per_page and filter from the query string, refusing nonsense."""
        page = _positive(args.get("page", "1"), "page")
        per_page = min(_positive(args.get("per_page", str(DEFAULT_PER_PAGE)), "per_page"), MAX_PER_PAGE)
        raw = args.get("filter")
        if not raw:
            return cls(page, per_page)
        try:
            return cls(page, per_page, filters.parse(raw))
        except filters.FilterError as error:
            raise ApiError(400, str(error)) from None

    def apply(self, query: Select[Any], fields: Mapping[str, filters.Field]) -> Select[Any]:
        """Add the filter to a query over a collection with these filterable fields."""
        if self.filter is None:
            return query
        try:
            return query.where(filters.to_sql(self.filter, fields))
        except filters.FilterError as error:
            raise ApiError(400, str(error)) from None


def _positive(value: str, name: str) -> int:
    """A whole number of at least one."""
    number = whole_number(value)
    if number is None or number < 1:
        raise ApiError(400, f"{name} must be a whole number of at least 1")
    return number


def statuses_from_args(args: Any) -> frozenset[SignatureStatus]:
    """The signature statuses a signer read asked for: validated unless ?status= names others."""
    raw = args.get("status", "validated")
    if raw == "all":
        return frozenset(SignatureStatus)
    if raw not in STATUS_CHOICES:
        raise ApiError(400, "status must be one of: " + ", ".join(STATUS_CHOICES))
    return frozenset({SignatureStatus(raw)})


def iso(moment: datetime | None) -> str | None:
    """A timestamp as OSDI writes it."""
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def collection(
    name: str, items: list[dict[str, Any]], total: int, paging: Paging, endpoint: str, **values: Any
) -> dict[str, Any]:
    """A page of a collection: the items embedded, with paging links and the curies."""
    pages = max(1, math.ceil(total / paging.per_page))
    args = {"per_page": paging.per_page, **values}
    links: dict[str, Any] = {
        "self": {"href": absolute_url(endpoint, page=paging.page, **args)},
        f"osdi:{name}": [item["_links"]["self"] for item in items],
    }
    if paging.page < pages:
        links["next"] = {"href": absolute_url(endpoint, page=paging.page + 1, **args)}
    if paging.page > 1:
        links["previous"] = {"href": absolute_url(endpoint, page=min(paging.page - 1, pages), **args)}
    links["curies"] = CURIES
    return {
        "total_pages": pages,
        "per_page": paging.per_page,
        "page": paging.page,
        "total_records": total,
        "_links": links,
        "_embedded": {f"osdi:{name}": items},
    }


def page_of(query: Select[Any], paging: Paging) -> tuple[list[Any], int]:
    """One page of the query's records and the count of all of them."""
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    found = db.session.execute(query.limit(paging.per_page).offset((paging.page - 1) * paging.per_page))
    return list(found.scalars()), int(total)


def one_or_404(query: Select[Any]) -> Any:
    """The one record of the query; a 404 if there is none, whether or not it exists outside it."""
    found = db.session.execute(query).scalar_one_or_none()
    if found is None:
        raise ApiError(404, "no such resource")
    return found


def identifiers(ident: int) -> list[str]:
    """OSDI identifiers of a record: its id part is the id in its URL (clients split on the colon)."""
    return [f"{VENDOR}:{ident}"]


def links(**named: Any) -> dict[str, Any]:
    """A resource's HAL links, with the curie that explains the osdi: relations."""
    return {
        **{name.replace("osdi_", "osdi:"): {"href": href} for name, href in named.items()},
        "curies": CURIES,
    }


def region_part(region: str | None) -> str | None:
    """The subdivision part of an ISO 3166-2 code, as OSDI writes a region ('US-MN' -> 'MN')."""
    return region.split("-", 1)[1] if region and "-" in region else region


def entry_point() -> dict[str, Any]:
    """The API's front door: links to every collection."""
    return {
        "motd": "The OSDI API of the campaign platform.",
        "vendor_name": "Campaign platform",
        "product_name": "campaign",
        "osdi_version": "1.0",
        "max_pagesize": MAX_PER_PAGE,
        "namespace": VENDOR,
        "_links": {
            "self": {"href": absolute_url("api.entry_point")},
            "osdi:tags": {"href": absolute_url("api.tags")},
            "osdi:petitions": {"href": absolute_url("api.petitions")},
            "osdi:advocacy_campaigns": {"href": absolute_url("api.advocacy_campaigns")},
            "osdi:people": {"href": absolute_url("api.people")},
            "docs": {"href": absolute_url("api.openapi")},
            "curies": CURIES,
        },
    }
