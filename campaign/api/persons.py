"""People as the API shows them: only through signatures the reader may read (the exports' rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, exists, func, select
from sqlalchemy.sql.functions import coalesce

from campaign.accounts.models import User
from campaign.api import filters
from campaign.api.actions import signature_modified
from campaign.api.fields import SEALED, country_field, email_field, region_field
from campaign.api.resources import identifiers, iso, links, one_or_404, region_part
from campaign.api.scope import personal_scope
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import suppressions
from campaign.signing.models import Person, Personal, Signature, SignatureStatus


def _readable(user: User) -> Select[Any]:
    """Signatures on campaigns whose signers the user may read."""
    return select(Signature).join(Campaign, Campaign.id == Signature.campaign_id).where(personal_scope(user))


def people_query(user: User, statuses: frozenset[SignatureStatus]) -> Select[Any]:
    """The people with a signature of these statuses on a campaign whose signers the user may read."""
    signed = (
        _readable(user).with_only_columns(Signature.person_id).where(Signature.status.in_(sorted(statuses)))
    )
    return select(Person).where(Person.id.in_(signed)).order_by(Person.id)


def person_modified(user: User) -> ColumnElement[datetime]:
    """When a person last changed as the user sees them: their latest readable signature's change,
    or their asking for no more email, whichever is later."""
    latest = (
        _readable(user)
        .with_only_columns(func.max(signature_modified()))
        .where(Signature.person_id == Person.id)
        .scalar_subquery()
    )
    changed = coalesce(latest, Person.created_at)
    stopped = suppressions.stopped_at(Person.email_index)
    return case((stopped.is_not(None) & (stopped > changed), stopped), else_=changed)


def _any_signature(user: User, field: filters.Field) -> filters.Field:
    """A virtual field of a person: true if any of their readable signatures matches."""

    def compare(op: str, value: Any) -> ColumnElement[bool]:
        return exists(
            _readable(user)
            .with_only_columns(Signature.id)
            .where(Signature.person_id == Person.id, field.compare(op, value))
        )

    return filters.Field(compare, operators=field.operators, convert=field.convert)


def people_fields(user: User) -> dict[str, filters.Field]:
    """What /people can be filtered by, for this reader."""
    return {
        "created_date": filters.date_field(Person.created_at),
        "modified_date": filters.date_field(person_modified(user)),
        "email_address": email_field(Person.id),
        "country": _any_signature(user, country_field(Signature.country)),
        "region": _any_signature(user, region_field(Signature.region)),
        "postal_code": SEALED,
    }


def person(row: Person, user: User) -> dict[str, Any]:
    """A person in OSDI's shape, as the user's campaigns know them."""
    # Only what a signature the user may read says: a confirmed one first.
    latest = db.session.execute(
        _readable(user)
        .where(Signature.person_id == row.id, Signature.sealed.is_not(None))
        .order_by((Signature.status == SignatureStatus.VALIDATED).desc(), Signature.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    modified = db.session.execute(
        select(person_modified(user)).select_from(Person).where(Person.id == row.id)
    ).scalar_one()
    # Subscribed only once confirmed: an address nobody has confirmed is not a list member yet.
    subscribed = (
        latest is not None
        and latest.status == SignatureStatus.VALIDATED
        and latest.has_email_opt_in
        and not suppressions.is_stopped(row.email_index)
    )
    personal = latest.personal if latest is not None else Personal()
    shown: dict[str, Any] = {
        "identifiers": identifiers(row.id),
        "created_date": iso(row.created_at),
        "modified_date": iso(modified),
    }
    shown.update(
        {
            key: value
            for key, value in (("given_name", personal.given_name), ("family_name", personal.family_name))
            if value
        }
    )
    if personal.email:
        shown["email_addresses"] = [
            {
                "address": personal.email,
                "primary": True,
                "status": "subscribed" if subscribed else "unsubscribed",
            }
        ]
    if latest is not None:
        address: dict[str, Any] = {"primary": True, "country": latest.country}
        if personal.postal_code:
            address["postal_code"] = personal.postal_code
        if latest.region:
            address["region"] = region_part(latest.region)
        shown["postal_addresses"] = [address]
    shown["_links"] = links(
        self=absolute_url("api.person", person_id=row.id),
        osdi_signatures=absolute_url("api.person_signatures", person_id=row.id),
        osdi_outreaches=absolute_url("api.person_outreaches", person_id=row.id),
    )
    return shown


def person_or_404(user: User, person_id: int, statuses: frozenset[SignatureStatus]) -> Person:
    """A person of people_query; 404 for anyone else."""
    found: Person = one_or_404(people_query(user, statuses).where(Person.id == person_id))
    return found


def person_signatures_query(
    user: User, person_id: int, kind: CampaignKind, statuses: frozenset[SignatureStatus]
) -> Select[Any]:
    """A person's readable signatures (or outreaches) of these statuses, oldest first."""
    return (
        _readable(user)
        .where(
            Signature.person_id == person_id,
            Campaign.kind == kind,
            Signature.status.in_(sorted(statuses)),
        )
        .order_by(Signature.id)
    )
