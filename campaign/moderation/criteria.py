"""What a bulk invalidation matches: checked as staff typed it, range and domain hashed where it is typed.

Signatures hold their client's range and their email's domain only as keyed
hashes, so the web tier (which holds the blind-index key but no private key)
turns a typed CIDR into the hashes of the /24 (IPv4) or /64 (IPv6) networks it
covers, and a typed domain into its hash. A pattern on the address itself can
only be matched where the sealed rows are opened: in the worker.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, TypeVarTuple

import pycountry
from flask_babel import gettext
from sqlalchemy import Select

from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.i18n import N_
from campaign.moderation import patterns
from campaign.signing import email_domains, floods
from campaign.signing.models import Signature, SignatureStatus

# What a bulk invalidation may change: fraudulent signatures already never count and are never mailed.
STATUSES = (SignatureStatus.PENDING.value, SignatureStatus.VALIDATED.value)
# Signatures keep the network their client came from, no finer.
IPV4_UNIT, IPV6_UNIT = 24, 64
# A typed range covers at most this many of those networks (a /16, a /56).
MAX_NETWORKS = 256


NO_CRITERIA = N_(
    "Give at least one criterion (address range, email domain, pattern, country, time window or campaign): "
    "with none, every signature would be invalidated."
)


Columns = TypeVarTuple("Columns")


class CriteriaError(ValueError):
    """The criteria cannot be used as given; the message says why, for the person who typed them."""


@dataclass(frozen=True)
class Criteria:
    """Which signatures a bulk invalidation is about; every field given narrows it."""

    address_range: str = ""
    domain: str = ""
    pattern: str = ""
    country: str = ""
    signed_from: datetime | None = None
    signed_to: datetime | None = None
    campaign_id: int | None = None
    statuses: tuple[str, ...] = STATUSES
    # Made by build() from address_range and domain: what the signatures hold.
    range_hashes: tuple[str, ...] = field(default=(), repr=False)
    domain_hash: str = field(default="", repr=False)

    @classmethod
    def build(
        cls,
        *,
        address_range: str = "",
        domain: str = "",
        pattern: str = "",
        country: str = "",
        signed_from: datetime | None = None,
        signed_to: datetime | None = None,
        campaign_id: int | None = None,
        statuses: tuple[str, ...] | list[str] = STATUSES,
    ) -> Criteria:
        """Check what staff gave and hash the range and the domain; CriteriaError says what is wrong."""
        network = normal_range(address_range) if address_range.strip() else ""
        named_domain = normal_domain(domain) if domain.strip() else ""
        criteria = cls(
            address_range=network,
            domain=named_domain,
            pattern=check_pattern(pattern.strip()),
            country=check_country(country),
            signed_from=signed_from,
            signed_to=signed_to,
            campaign_id=check_campaign(campaign_id),
            statuses=check_statuses(statuses),
            range_hashes=tuple(floods.range_hash(n) for n in networks_of(network)) if network else (),
            domain_hash=email_domains.domain_index(named_domain) if named_domain else "",
        )
        if signed_from and signed_to and signed_from >= signed_to:
            raise CriteriaError(gettext("The time window ends before it starts."))
        if criteria.is_empty:
            raise CriteriaError(gettext(NO_CRITERIA))
        return criteria

    @property
    def is_empty(self) -> bool:
        """Whether nothing narrows it (the statuses alone do not)."""
        return not any(
            (
                self.address_range,
                self.domain,
                self.pattern,
                self.country,
                self.signed_from,
                self.signed_to,
                self.campaign_id,
            )
        )

    def described(self) -> dict[str, Any]:
        """The criteria as staff gave them, without the hashes: for the pages and the audit log."""
        shown = {
            key: value.isoformat(sep=" ", timespec="minutes") if isinstance(value, datetime) else value
            for key, value in asdict(self).items()
            if value and key not in ("range_hashes", "domain_hash")
        }
        shown["statuses"] = list(self.statuses)
        return shown

    def as_json(self) -> dict[str, Any]:
        """Everything, hashes included, as stored with the job."""
        stored = self.described()
        stored.update(range_hashes=list(self.range_hashes), domain_hash=self.domain_hash)
        return stored

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Criteria:
        """Read stored criteria back (already checked and hashed when they were stored)."""
        values = dict(data)
        for key in ("signed_from", "signed_to"):
            if values.get(key):
                values[key] = datetime.fromisoformat(values[key])
        values["statuses"] = tuple(values.get("statuses") or STATUSES)
        values["range_hashes"] = tuple(values.get("range_hashes") or ())
        return cls(**values)

    def filter(self, query: Select[*Columns]) -> Select[*Columns]:
        """Narrow a query over signatures to those the SQL can tell apart (everything but the pattern)."""
        query = query.where(Signature.status.in_([SignatureStatus(s) for s in self.statuses]))
        if self.range_hashes:
            query = query.where(Signature.client_range_hash.in_(self.range_hashes))
        if self.domain_hash:
            query = query.where(Signature.email_domain_index == self.domain_hash)
        if self.country:
            query = query.where(Signature.country == self.country)
        if self.signed_from:
            query = query.where(Signature.created_at >= self.signed_from)
        if self.signed_to:
            query = query.where(Signature.created_at < self.signed_to)
        if self.campaign_id:
            query = query.where(Signature.campaign_id == self.campaign_id)
        if self.pattern:
            # Withdrawn, erased and anonymised signatures hold no address to match.
            query = query.where(Signature.sealed.is_not(None))
        return query

    def email_matcher(self) -> Callable[[str], bool] | None:
        """Whether an address matches the pattern (None when there is no pattern)."""
        return patterns.email_matcher(self.pattern) if self.pattern else None


def normal_range(text: str) -> str:
    """A typed CIDR range in its one spelling ("203.0.113.7/24" is 203.0.113.0/24)."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise CriteriaError(
            gettext(
                "%(typed)s is not an address range: write it in CIDR form, such as 203.0.113.0/24 "
                "or 2001:db8::/64.",
                typed=repr(text.strip()),
            )
        ) from None
    unit = IPV4_UNIT if network.version == 4 else IPV6_UNIT
    if network.prefixlen > unit:
        raise CriteriaError(
            gettext(
                "Signatures keep only the /%(unit)s network their client came from: give a /%(unit)s "
                "or a wider range (such as %(example)s).",
                unit=unit,
                example=str(network.supernet(new_prefix=unit)),
            )
        )
    if 2 ** (unit - network.prefixlen) > MAX_NETWORKS:
        widest = unit - MAX_NETWORKS.bit_length() + 1
        raise CriteriaError(
            gettext(
                "%(network)s is too wide: a range may cover at most a /%(widest)s.",
                network=str(network),
                widest=widest,
            )
        )
    return str(network)


def networks_of(network: str) -> list[str]:
    """The /24 (IPv4) or /64 (IPv6) networks a range covers, spelled as signing spells them."""
    parsed = ipaddress.ip_network(network)
    unit = IPV4_UNIT if parsed.version == 4 else IPV6_UNIT
    return [str(subnet) for subnet in parsed.subnets(new_prefix=unit)]


_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def normal_domain(text: str) -> str:
    """A typed email domain in its one spelling (lower case, IDNA)."""
    typed = text.strip()
    if "@" in typed:
        raise CriteriaError(
            gettext("Give the email domain alone (example.org), not an address: use a pattern for that.")
        )
    if any(ch in typed for ch in "*?[/"):
        raise CriteriaError(gettext("A domain is matched exactly: for wildcards, use the email pattern."))
    canonical = email_domains.canonical_domain(typed)
    if not _DOMAIN.match(canonical):
        raise CriteriaError(
            gettext("%(typed)s is not an email domain such as example.org.", typed=repr(typed))
        )
    return canonical


def check_pattern(pattern: str) -> str:
    """A glob, or a regular expression between slashes, that compiles; empty if none."""
    problem = patterns.problem(pattern)
    if problem:
        raise CriteriaError(problem)
    return pattern


def check_country(code: str) -> str:
    """An ISO 3166-1 alpha-2 code in upper case; empty if none."""
    code = code.strip().upper()
    if code and (len(code) != 2 or pycountry.countries.get(alpha_2=code) is None):
        raise CriteriaError(
            gettext("Unknown country code %(code)s: give two letters, such as AM.", code=repr(code))
        )
    return code


def check_campaign(campaign_id: int | None) -> int | None:
    """A campaign that exists; None for any campaign."""
    if not campaign_id:
        return None
    if db.session.get(Campaign, campaign_id) is None:
        raise CriteriaError(gettext("There is no such campaign."))
    return campaign_id


def check_statuses(statuses: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The statuses to invalidate, among pending and validated, in a stable order."""
    chosen = tuple(status for status in STATUSES if status in statuses)
    unknown = set(statuses) - set(STATUSES)
    if unknown or not chosen:
        raise CriteriaError(
            gettext(
                "Choose which signatures to invalidate among: %(statuses)s.", statuses=", ".join(STATUSES)
            )
        )
    return chosen
