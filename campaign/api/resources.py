"""OSDI resources: what the API shows of campaigns, signatures and people, and the paging around them."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.sql.functions import coalesce

from campaign.accounts.models import Membership, User
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.counts.service import read_count
from campaign.exports.routes import exportable
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.signing.models import Person, Personal, Signature, SignatureStatus

VENDOR = "campaigns"
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
_FILTER = re.compile(r"^\s*(modified_date|created_date)\s+(gt|lt|eq)\s+'([^']{1,40})'\s*$")
# ?status= on signer reads: validated unless another status is asked for by name.
STATUS_CHOICES = ("validated", "pending", "invalidated", "all")


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
    filter_field: str | None = None
    filter_op: str | None = None
    filter_value: datetime | None = None

    @classmethod
    def from_args(cls, args: Any) -> Paging:
        """Read page, per_page and filter from the query string, refusing nonsense."""
        page = _positive(args.get("page", "1"), "page")
        per_page = min(_positive(args.get("per_page", str(DEFAULT_PER_PAGE)), "per_page"), MAX_PER_PAGE)
        raw = args.get("filter")
        if not raw:
            return cls(page, per_page)
        match = _FILTER.match(raw)
        if not match:
            raise ApiError(400, "filter must look like: modified_date gt '2026-01-01'")
        try:
            moment = datetime.fromisoformat(match.group(3).replace("Z", "+00:00")).replace(tzinfo=None)
        except ValueError:
            raise ApiError(400, "the filter's date is not an ISO 8601 date") from None
        return cls(page, per_page, match.group(1), match.group(2), moment)

    def apply(self, query: Select[Any], created: Any, modified: Any) -> Select[Any]:
        """Add the filter to a query over a resource with these date columns."""
        if self.filter_field is None or self.filter_value is None:
            return query
        column = modified if self.filter_field == "modified_date" else created
        compare = {
            "gt": column > self.filter_value,
            "lt": column < self.filter_value,
            "eq": column == self.filter_value,
        }
        return query.where(compare[str(self.filter_op)])


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


def _exportable_ids(user: User) -> Select[Any]:
    """The ids of the campaigns the user may export, by the exports' own rule."""
    return exportable(user).with_only_columns(Campaign.id).order_by(None)


def personal_scope(user: User) -> ColumnElement[bool]:
    """The campaigns whose signers the user may read: the ones they may export (all, for staff)."""
    if user.is_staff:
        return true()
    return Campaign.id.in_(_exportable_ids(user))


def may_read_signers(user: User, campaign: Campaign | None = None) -> bool:
    """Tell whether the user may read the signers of this campaign (of any campaign, without one)."""
    if user.is_staff:
        return True
    query = _exportable_ids(user)
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


def _identifiers(kind: str, ident: int) -> list[str]:
    """OSDI identifiers of a record."""
    return [f"{VENDOR}:{kind}-{ident}"]


def petition(campaign: Campaign) -> dict[str, Any]:
    """A petition in OSDI's shape."""
    count = read_count(campaign.id)
    return {
        "identifiers": _identifiers("petition", campaign.id),
        "created_date": iso(campaign.created_at),
        "modified_date": iso(campaign.updated_at),
        "title": campaign.title,
        "description": campaign.summary,
        "petition_text": campaign.body_markdown,
        "total_signatures": count.total,
        "target": [],
        "status": str(campaign.status),
        "browser_url": absolute_url("campaigns.show", slug=campaign.slug),
        "_links": {
            "self": {"href": absolute_url("api.petition", petition_id=campaign.id)},
            "osdi:signatures": {"href": absolute_url("api.signatures", petition_id=campaign.id)},
            "osdi:record_signature_helper": {
                "href": absolute_url("api.record_signature", petition_id=campaign.id)
            },
        },
    }


def advocacy_campaign(campaign: Campaign) -> dict[str, Any]:
    """A letter campaign in OSDI's shape (an advocacy campaign)."""
    count = read_count(campaign.id)
    return {
        "identifiers": _identifiers("advocacy_campaign", campaign.id),
        "created_date": iso(campaign.created_at),
        "modified_date": iso(campaign.updated_at),
        "title": campaign.title,
        "description": campaign.summary,
        "status": str(campaign.status),
        "browser_url": absolute_url("campaigns.show", slug=campaign.slug),
        "type": "email",
        "targets": [],
        "total_outreaches": count.total,
        "_links": {
            "self": {"href": absolute_url("api.advocacy_campaign", campaign_id=campaign.id)},
            "osdi:outreaches": {"href": absolute_url("api.outreaches", campaign_id=campaign.id)},
            "osdi:record_outreach_helper": {
                "href": absolute_url("api.record_outreach", campaign_id=campaign.id)
            },
        },
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
    """A signature (or, on a letter campaign, an outreach) in OSDI's shape."""
    is_letter = row.campaign.kind == CampaignKind.LETTER
    kind = "outreach" if is_letter else "signature"
    self_link = (
        absolute_url("api.outreach", campaign_id=row.campaign_id, outreach_id=row.id)
        if is_letter
        else absolute_url("api.signature", petition_id=row.campaign_id, signature_id=row.id)
    )
    parent = (
        absolute_url("api.advocacy_campaign", campaign_id=row.campaign_id)
        if is_letter
        else absolute_url("api.petition", petition_id=row.campaign_id)
    )
    shown: dict[str, Any] = {
        "identifiers": _identifiers(kind, row.id),
        "created_date": iso(row.created_at),
        "modified_date": iso(row.invalidated_at or row.validated_at or row.created_at),
        "status": str(row.status),
        "referrer_data": {"source": row.source or ""},
        "_links": {
            "self": {"href": self_link},
            "osdi:person": {"href": absolute_url("api.person", person_id=row.person_id)},
            f"osdi:{'advocacy_campaign' if is_letter else 'petition'}": {"href": parent},
        },
    }
    if is_letter:
        shown.update(
            {"type": "email", "subject": row.campaign.title, "message": row.personal.message, "targets": []}
        )
    else:
        shown["comments"] = row.personal.comment
    return shown


def people_query(user: User, statuses: frozenset[SignatureStatus]) -> Select[Any]:
    """The people with a signature of these statuses on a campaign whose signers the user may read."""
    signed = (
        select(Signature.person_id)
        .join(Campaign, Campaign.id == Signature.campaign_id)
        .where(personal_scope(user), Signature.status.in_(sorted(statuses)))
    )
    return select(Person).where(Person.id.in_(signed)).order_by(Person.id)


def person(row: Person, user: User) -> dict[str, Any]:
    """A person in OSDI's shape, as the user's campaigns know them."""
    # Only what a signature the user may read says: a confirmed one first.
    latest = db.session.execute(
        select(Signature)
        .join(Campaign, Campaign.id == Signature.campaign_id)
        .where(Signature.person_id == row.id, personal_scope(user), Signature.sealed.is_not(None))
        .order_by((Signature.status == SignatureStatus.VALIDATED).desc(), Signature.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    subscribed = latest is not None and latest.has_email_opt_in
    personal = latest.personal if latest is not None else Personal()
    postal: list[dict[str, Any]] = []
    if latest is not None:
        address: dict[str, Any] = {"postal_code": personal.postal_code, "country": latest.country}
        if latest.region:
            address["region"] = latest.region
        postal.append(address)
    return {
        "identifiers": _identifiers("person", row.id),
        "created_date": iso(row.created_at),
        "modified_date": iso(row.created_at),
        "given_name": personal.given_name,
        "family_name": personal.family_name,
        "email_addresses": [
            {
                "address": personal.email,
                "primary": True,
                "status": "subscribed" if subscribed else "unsubscribed",
            }
        ],
        "postal_addresses": postal,
        "_links": {"self": {"href": absolute_url("api.person", person_id=row.id)}},
    }


def person_or_404(user: User, person_id: int, statuses: frozenset[SignatureStatus]) -> Person:
    """A person of people_query; 404 for anyone else."""
    found = db.session.execute(
        people_query(user, statuses).where(Person.id == person_id)
    ).scalar_one_or_none()
    if found is None:
        raise ApiError(404, "no such resource")
    return found


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
        "_links": {
            "self": {"href": absolute_url("api.entry_point")},
            "osdi:petitions": {"href": absolute_url("api.petitions")},
            "osdi:advocacy_campaigns": {"href": absolute_url("api.advocacy_campaigns")},
            "osdi:people": {"href": absolute_url("api.people")},
            "docs": {"href": absolute_url("api.openapi")},
            "curies": [
                {"name": "osdi", "href": "https://opensupporter.github.io/osdi-docs/{rel}", "templated": True}
            ],
        },
    }
