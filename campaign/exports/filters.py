"""What goes into an export: the columns one may choose, the filters, and the query that lists the rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pycountry
from flask_babel import gettext
from sqlalchemy import Select, select
from sqlalchemy.sql.functions import coalesce

from campaign.partners.models import PartnerConsent
from campaign.signing.models import PERSONAL_FIELDS, Signature, SignatureStatus


class ExportError(ValueError):
    """The export cannot be made as asked; the message says why."""


# name -> (heading, column, or the index of a sealed field (campaign.signing.models.PERSONAL_FIELDS))
COLUMNS: dict[str, tuple[str, Any]] = {
    "id": ("Signature ID", Signature.id),
    "given_name": ("First name", PERSONAL_FIELDS.index("given_name")),
    "family_name": ("Last name", PERSONAL_FIELDS.index("family_name")),
    "email": ("Email", PERSONAL_FIELDS.index("email")),
    "country": ("Country", Signature.country),
    "region": ("Region", coalesce(Signature.region, "")),
    "postal_code": ("Postal code", PERSONAL_FIELDS.index("postal_code")),
    "status": ("Status", Signature.status),
    "created_at": ("Signed at (UTC)", Signature.created_at),
    "validated_at": ("Confirmed at (UTC)", Signature.validated_at),
    "email_opt_in": ("Agreed to updates", Signature.has_email_opt_in),
    "consent_version": ("Consent wording", Signature.consent_version),
    "source": ("Source", coalesce(Signature.source, "")),
    "comment": ("Comment", PERSONAL_FIELDS.index("comment")),
    "message": ("Own words", PERSONAL_FIELDS.index("message")),
}
DEFAULT_COLUMNS = ["given_name", "family_name", "email", "country", "postal_code", "validated_at"]
STATUSES = ("validated", "pending", "invalidated", "all")


@dataclass(frozen=True)
class ExportFilters:
    """Which signatures go into an export."""

    status: str = "validated"
    signed_from: date | None = None
    signed_to: date | None = None
    country: str | None = None
    region: str | None = None
    opted_in_only: bool = False
    source: str | None = None
    # A partner organization's export: only the signers who consented to it (campaign.partners).
    partner_id: int | None = None

    def check(self) -> None:
        """Refuse filters that make no sense, with a message for the person who chose them."""
        if self.status not in STATUSES:
            raise ExportError(
                gettext(
                    "Unknown status %(status)s: choose one of %(statuses)s.",
                    status=repr(self.status),
                    statuses=", ".join(STATUSES),
                )
            )
        if self.signed_from and self.signed_to and self.signed_from > self.signed_to:
            raise ExportError(gettext("The start date is after the end date."))
        if self.country and pycountry.countries.get(alpha_2=self.country) is None:
            raise ExportError(gettext("Unknown country code %(code)s.", code=repr(self.country)))
        if self.partner_id and self.status != "validated":
            # A partner hears only from signers who confirmed their address.
            raise ExportError(gettext("A partner organization exports confirmed signers only."))

    def as_json(self) -> dict[str, Any]:
        """The filters as stored with the export and in the audit log."""
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items() if v}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportFilters:
        """Read stored filters."""
        values = dict(data)
        for key in ("signed_from", "signed_to"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(**values)


def check_columns(columns: list[str]) -> list[str]:
    """The chosen columns, or the defaults; an unknown name is refused."""
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise ExportError(gettext("Unknown columns: %(columns)s.", columns=", ".join(unknown)))
    return columns or list(DEFAULT_COLUMNS)


def rows_query(campaign_id: int, filters: ExportFilters, columns: list[str]) -> Select[Any]:
    """The SELECT of an export, in signature order: the plain columns chosen, then the seal."""
    plain = [COLUMNS[name][1].label(name) for name in columns if not isinstance(COLUMNS[name][1], int)]
    query = select(*plain, Signature.sealed)
    if len(plain) < len(columns):
        # Withdrawn, erased and anonymised signatures name no one: nothing to list.
        query = query.where(Signature.sealed.is_not(None))
    return _filtered(query, campaign_id, filters).order_by(Signature.id)


def _filtered(query: Select[Any], campaign_id: int, filters: ExportFilters) -> Select[Any]:
    """Apply the filters to a query over signatures."""
    query = query.where(Signature.campaign_id == campaign_id)
    if filters.status != "all":
        query = query.where(Signature.status == SignatureStatus(filters.status))
    if filters.signed_from:
        query = query.where(Signature.created_at >= _midnight(filters.signed_from))
    if filters.signed_to and filters.signed_to < date.max:
        # Up to the end of that day; the calendar's last day has no end to write (and no signature after it).
        query = query.where(Signature.created_at < _midnight(filters.signed_to + timedelta(days=1)))
    if filters.country:
        query = query.where(Signature.country == filters.country)
    if filters.region:
        query = query.where(Signature.region == filters.region)
    if filters.opted_in_only:
        query = query.where(Signature.has_email_opt_in.is_(True))
    if filters.source:
        query = query.where(Signature.source == filters.source)
    if filters.partner_id:
        consented = select(PartnerConsent.signature_id).where(
            PartnerConsent.organization_id == filters.partner_id
        )
        query = query.where(Signature.id.in_(consented))
    return query


def _midnight(day: date) -> datetime:
    """The start of a day (UTC, as stored)."""
    return datetime.combine(day, datetime.min.time())
