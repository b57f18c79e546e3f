"""The filterable fields signatures and people share: an email address, a country, a region, and
the postal code, which is sealed and so refused."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, select

from campaign.api import filters
from campaign.signing.models import Person
from campaign.signing.service import email_index

REGION = re.compile(r"(?:[A-Z]{2}-)?[A-Z0-9]{1,3}")
SEALED = filters.refused(
    "filter: postal codes are sealed (encrypted) in the database and cannot be filtered by; "
    "filter by region or country instead"
)


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
