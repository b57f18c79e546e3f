"""OSDI resources: what the API shows of campaigns, signatures and people, and the paging around them."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.sql.functions import coalesce

from campaign.accounts.access import manageable_by
from campaign.accounts.models import Membership, User
from campaign.api import filters
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.campaigns.service import render_markdown
from campaign.counts.service import read_count
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.signing.models import Person, Signature, SignatureStatus
from campaign.signing.service import email_index
from campaign.targets.models import LetterTarget, Official

VENDOR = "campaigns"
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
# ?status= on signer reads: validated unless another status is asked for by name.
STATUS_CHOICES = ("validated", "pending", "invalidated", "all")
ORIGIN_SYSTEM = "Campaign platform"
CURIES = [{"name": "osdi", "href": "https://opensupporter.github.io/osdi-docs/{rel}", "templated": True}]
REGION = re.compile(r"(?:[A-Z]{2}-)?[A-Z0-9]{1,3}")


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
    if not value.isdigit() or int(value) < 1 or len(value) > 9:
        raise ApiError(400, f"{name} must be a whole number of at least 1")
    return int(value)


def iso(moment: datetime | None) -> str | None:
    """A timestamp as OSDI writes it."""
    return moment.isoformat(timespec="seconds") + "Z" if moment else None


def collection(
    name: str, items: list[dict[str, Any]], total: int, paging: Paging, endpoint: str, **values: Any
) -> dict[str, Any]:
    """A page of a collection: the items embedded, with paging links."""
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
    return {
        "total_pages": pages,
        "per_page": paging.per_page,
        "page": paging.page,
        "total_records": total,
        "_links": links,
        "_embedded": {f"osdi:{name}": items},
    }


def page_of(query: Select[Any], paging: Paging) -> tuple[list[Any], int]:
    """One page of rows and the count of all of them."""
    total = db.session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = db.session.execute(query.limit(paging.per_page).offset((paging.page - 1) * paging.per_page)).all()
    return list(rows), int(total)


def in_scope(user: User) -> ColumnElement[bool]:
    """The campaigns a user may reach: all for staff, their organizations' for organizers."""
    if user.is_staff:
        return true()
    mine = select(Membership.organization_id).where(Membership.user_id == user.id)
    return Campaign.organization_id.in_(mine)


def statuses_from_args(args: Any) -> frozenset[SignatureStatus]:
    """The signature statuses a signer read asked for: validated unless ?status= names others."""
    raw = args.get("status", "validated")
    if raw == "all":
        return frozenset(SignatureStatus)
    if raw not in STATUS_CHOICES:
        raise ApiError(400, "status must be one of: " + ", ".join(STATUS_CHOICES))
    return frozenset({SignatureStatus(raw)})


def personal_scope(user: User) -> ColumnElement[bool]:
    """The campaigns whose signers the user may read: the ones they may export (all, for staff)."""
    return manageable_by(user, for_export=True)


def may_read_signers(user: User, campaign: Campaign | None = None) -> bool:
    """Tell whether the user may read the signers of this campaign (of any campaign, without one)."""
    if user.is_staff:
        return True
    query = select(Campaign.id).where(personal_scope(user))
    if campaign is not None:
        query = query.where(Campaign.id == campaign.id)
    return db.session.execute(query.limit(1)).first() is not None


def signer_scope(user: User) -> str | list[int]:
    """For the audit: "all" for staff, else the organizations whose signers the user may read."""
    if user.is_staff:
        return "all"
    organizations = select(Campaign.organization_id).where(personal_scope(user)).distinct()
    return sorted(found for found in db.session.execute(organizations).scalars() if found is not None)


def campaign_or_404(user: User, campaign_id: int, kind: CampaignKind) -> Campaign:
    """A campaign of this kind in the user's scope; 404 for anything else, even if it exists."""
    campaign = db.session.execute(
        select(Campaign).where(Campaign.id == campaign_id, Campaign.kind == kind, in_scope(user))
    ).scalar_one_or_none()
    if campaign is None:
        raise ApiError(404, "no such resource")
    return campaign


def campaigns_query(user: User, kind: CampaignKind) -> Select[Any]:
    """The user's campaigns of one kind, oldest first."""
    return select(Campaign).where(Campaign.kind == kind, in_scope(user)).order_by(Campaign.id)


def identifiers(ident: int) -> list[str]:
    """OSDI identifiers of a record: its id part is the id in its URL (clients split on the colon)."""
    return [f"{VENDOR}:{ident}"]


def links(**named: Any) -> dict[str, Any]:
    """A resource's HAL links, with the curie that explains the osdi: relations."""
    return {
        **{name.replace("osdi_", "osdi:"): {"href": href} for name, href in named.items()},
        "curies": CURIES,
    }


def targets(campaign: Campaign) -> list[dict[str, str]]:
    """The officials a letter campaign writes to (OSDI targets); none for routed campaigns or petitions."""
    officials = db.session.execute(
        select(Official)
        .join(LetterTarget, LetterTarget.official_id == Official.id)
        .where(LetterTarget.campaign_id == campaign.id)
        .order_by(Official.name)
    ).scalars()
    return [
        {
            key: value
            for key, value in (("name", o.name), ("title", o.title), ("organization", o.body))
            if value
        }
        for o in officials
    ]


def petition(campaign: Campaign) -> dict[str, Any]:
    """A petition in OSDI's shape: summary in text, description and petition text in sanitised HTML."""
    count = read_count(campaign.id)
    text = str(render_markdown(campaign.body_markdown or ""))
    return {
        "identifiers": identifiers(campaign.id),
        "origin_system": ORIGIN_SYSTEM,
        "created_date": iso(campaign.created_at),
        "modified_date": iso(campaign.updated_at),
        "title": campaign.title,
        "summary": campaign.summary,
        "description": text,
        "petition_text": text,
        "total_signatures": count.total,
        "target": targets(campaign),
        "status": str(campaign.status),
        "browser_url": absolute_url("campaigns.show", slug=campaign.slug),
        "_links": links(
            self=absolute_url("api.petition", petition_id=campaign.id),
            osdi_signatures=absolute_url("api.signatures", petition_id=campaign.id),
            osdi_record_signature_helper=absolute_url("api.record_signature", petition_id=campaign.id),
        ),
    }


def advocacy_campaign(campaign: Campaign) -> dict[str, Any]:
    """A letter campaign in OSDI's shape (an advocacy campaign)."""
    count = read_count(campaign.id)
    return {
        "identifiers": identifiers(campaign.id),
        "origin_system": ORIGIN_SYSTEM,
        "created_date": iso(campaign.created_at),
        "modified_date": iso(campaign.updated_at),
        "title": campaign.title,
        "summary": campaign.summary,
        "description": str(render_markdown(campaign.body_markdown or "")),
        "status": str(campaign.status),
        "browser_url": absolute_url("campaigns.show", slug=campaign.slug),
        "type": "email",
        "targets": targets(campaign),
        "total_outreaches": count.total,
        "_links": links(
            self=absolute_url("api.advocacy_campaign", campaign_id=campaign.id),
            osdi_outreaches=absolute_url("api.outreaches", campaign_id=campaign.id),
            osdi_record_outreach_helper=absolute_url("api.record_outreach", campaign_id=campaign.id),
        ),
    }


def signature_modified() -> ColumnElement[datetime]:
    """When a signature last changed."""
    return coalesce(Signature.invalidated_at, Signature.validated_at, Signature.created_at)


def signatures_query(campaign: Campaign, statuses: frozenset[SignatureStatus]) -> Select[Any]:
    """A campaign's signatures of these statuses, oldest first."""
    return (
        select(Signature)
        .where(Signature.campaign_id == campaign.id, Signature.status.in_(sorted(statuses)))
        .order_by(Signature.id)
    )


def signature(row: Signature) -> dict[str, Any]:
    """A signature (or, on a letter campaign, an outreach) in OSDI's shape; unset fields left out."""
    is_letter = row.campaign.kind == CampaignKind.LETTER
    if is_letter:
        self_link = absolute_url("api.outreach", campaign_id=row.campaign_id, outreach_id=row.id)
        parent = {
            "osdi_advocacy_campaign": absolute_url("api.advocacy_campaign", campaign_id=row.campaign_id)
        }
    else:
        self_link = absolute_url("api.signature", petition_id=row.campaign_id, signature_id=row.id)
        parent = {"osdi_petition": absolute_url("api.petition", petition_id=row.campaign_id)}
    person = {"osdi_person": absolute_url("api.person", person_id=row.person_id)} if row.person_id else {}
    shown: dict[str, Any] = {
        "identifiers": identifiers(row.id),
        "origin_system": ORIGIN_SYSTEM,
        "created_date": iso(row.created_at),
        "modified_date": iso(row.invalidated_at or row.validated_at or row.created_at),
        "action_date": iso(row.created_at),
        "status": str(row.status),
        "_links": links(self=self_link, **person, **parent),
    }
    if row.source:
        shown["referrer_data"] = {"source": row.source}
    personal = row.personal
    if is_letter:
        shown.update({"type": "email", "subject": row.campaign.title, "targets": targets(row.campaign)})
        if personal.message:
            shown["message"] = personal.message
    elif personal.comment:
        shown["comments"] = personal.comment
    return shown


def region_part(region: str | None) -> str | None:
    """The subdivision part of an ISO 3166-2 code, as OSDI writes a region ('US-MN' -> 'MN')."""
    return region.split("-", 1)[1] if region and "-" in region else region


def email_field(person_id: Any) -> filters.Field:
    """The virtual field email_address: the people whose address, however written, is this one."""

    def compare_email(op: str, value: str) -> ColumnElement[bool]:
        matching = person_id.in_(select(Person.id).where(Person.email_index == email_index(value)))
        return matching if op == "eq" else ~matching

    return filters.Field(compare_email, operators=("eq", "ne"), convert=filters.text)


def country_field(expression: Any) -> filters.Field:
    """A country (ISO 3166-1 alpha-2), in any case."""
    return filters.Field(
        lambda op, value: filters.compare(expression, op, value.upper()),
        operators=("eq", "ne"),
        convert=filters.text,
    )


def region_field(expression: Any) -> filters.Field:
    """A region as OSDI writes it ('MN', of any country) or as ISO 3166-2 ('US-MN')."""

    def compare_region(op: str, value: str) -> ColumnElement[bool]:
        code = value.upper()
        if not REGION.fullmatch(code):
            raise filters.FilterError("filter: a region is a code like 'MN' or 'US-MN'")
        matching = expression == code if "-" in code else expression.like(f"%-{code}")
        return matching if op == "eq" else ~matching

    return filters.Field(compare_region, operators=("eq", "ne"), convert=filters.text)


SEALED = filters.refused(
    "filter: postal codes are sealed (encrypted) in the database and cannot be filtered by; "
    "filter by region or country instead"
)
CAMPAIGN_FIELDS = {
    "created_date": filters.date_field(Campaign.created_at),
    "modified_date": filters.date_field(Campaign.updated_at),
    "title": filters.Field(
        lambda op, value: filters.compare(Campaign.title, op, value), convert=filters.text
    ),
}
SIGNATURE_FIELDS = {
    "created_date": filters.date_field(Signature.created_at),
    "action_date": filters.date_field(Signature.created_at),
    "modified_date": filters.date_field(signature_modified()),
    "email_address": email_field(Signature.person_id),
    "country": country_field(Signature.country),
    "region": region_field(Signature.region),
    "postal_code": SEALED,
}


def signature_or_404(
    campaign: Campaign, signature_id: int, statuses: frozenset[SignatureStatus]
) -> Signature:
    """One of the campaign's signatures, if it has one of these statuses; 404 for anything else."""
    found = db.session.execute(
        signatures_query(campaign, statuses).where(Signature.id == signature_id)
    ).scalar_one_or_none()
    if found is None:
        raise ApiError(404, "no such resource")
    return found


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
