"""The officials directory: adding officials one by one or from a CSV file, with a report."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO

import pycountry
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext
from sqlalchemy import select

from campaign import clock
from campaign.database import insert
from campaign.extensions import db
from campaign.targets.models import Official
from campaign.validation import email_reason

REQUIRED = ("name", "title", "country", "email")
OPTIONAL = ("body", "region", "party", "photo_url", "ocd_id")
PROGRESS_EVERY = 1000  # rows between progress reports of a large import
LIMITS = {"name": 200, "title": 200, "body": 200, "party": 120, "photo_url": 500, "ocd_id": 200}


class InvalidOfficial(ValueError):
    """A row that cannot become an official; the message says why, in the reader's language."""


@dataclass
class ImportReport:
    """What an import did: rows added, duplicates skipped, rows rejected with their reason."""

    added: int = 0
    duplicates: list[int] = field(default_factory=list)  # line numbers
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def clean(row: Mapping[str, str | None]) -> dict[str, str | None]:
    """Check and normalize one official's fields; raise InvalidOfficial with a reason."""
    values = {key: (row.get(key) or "").strip() for key in (*REQUIRED, *OPTIONAL)}
    for key in REQUIRED:
        if not values[key]:
            # Translators: why a row of a file of officials is refused; the column's name stays as in the file
            raise InvalidOfficial(gettext("%(column)s is missing", column=key))
    for key, limit in LIMITS.items():
        if len(values[key] or "") > limit or any(not ch.isprintable() for ch in values[key] or ""):
            # Translators: the column's name stays as in the file of officials
            raise InvalidOfficial(gettext("%(column)s is too long or holds control characters", column=key))
    country = (values["country"] or "").upper()
    if pycountry.countries.get(alpha_2=country) is None:
        raise InvalidOfficial(
            gettext("country %(code)s is not an ISO 3166-1 alpha-2 code", code=repr(values["country"]))
        )
    region = (values["region"] or "").upper() or None
    if region is not None:
        subdivision = pycountry.subdivisions.get(code=region)
        if subdivision is None or subdivision.country_code != country:
            raise InvalidOfficial(
                gettext(
                    "region %(code)s is not an ISO 3166-2 code of %(country)s",
                    code=repr(values["region"]),
                    country=country,
                )
            )
    if values["photo_url"] and not (values["photo_url"] or "").startswith("https://"):
        # Translators: photo_url is the column's name in the file of officials: keep it as is
        raise InvalidOfficial(gettext("photo_url must start with https://"))
    try:
        email = normalized_email(values["email"] or "")
    except EmailNotValidError as error:
        # Translators: "email" is the column's name in the file of officials: keep it as is
        raise InvalidOfficial(gettext("email: %(reason)s", reason=email_reason(error))) from None
    return {
        **{key: values[key] or None for key in OPTIONAL},
        "name": values["name"],
        "title": values["title"],
        "body": values["body"] or "",
        "country": country,
        "region": region,
        "email": email,
    }


def normalized_email(value: str) -> str:
    """An official's address as the directory keeps it; EmailNotValidError if it is not one."""
    return str(validate_email(value, check_deliverability=False).normalized)


def add_official(values: Mapping[str, str | None]) -> int | None:
    """Add one checked official; None when the same name and address (or OCD-ID) is listed already."""
    now = clock.now()
    if (
        values.get("ocd_id")
        and db.session.execute(select(Official.id).where(Official.ocd_id == values["ocd_id"])).first()
    ):
        return None
    inserted = db.session.execute(
        insert(Official)
        .values(**values, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["name", "email"])
        .returning(Official.id)
    ).scalar()
    return None if inserted is None else int(inserted)


def import_rows(
    rows: Iterable[Mapping[str, str | None]],
    first_line: int = 2,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Add officials from parsed rows, reporting duplicates and rejected rows by line number."""
    report = ImportReport()
    for line, row in enumerate(rows, start=first_line):
        if progress is not None and (line - first_line) % PROGRESS_EVERY == 0 and line > first_line:
            progress(line - first_line)
        try:
            values = clean(row)
        except InvalidOfficial as error:
            report.rejected.append((line, str(error)))
            continue
        if add_official(values) is None:
            report.duplicates.append(line)
        else:
            report.added += 1
    return report


def import_csv(stream: IO[str], progress: Callable[[int], None] | None = None) -> ImportReport:
    """Add officials from a CSV file with a header row (name, title, country, email, ...)."""
    reader = csv.DictReader(stream)
    missing = [key for key in REQUIRED if key not in (reader.fieldnames or [])]
    if missing:
        # Translators: the columns' names stay as in the file of officials
        raise InvalidOfficial(gettext("the header lacks: %(columns)s", columns=", ".join(missing)))
    return import_rows(reader, progress=progress)
