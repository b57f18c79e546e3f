"""The reader's language: chosen per request, formatted by Babel, kept in links and on signatures.

A page's language is the `?lang=` of its address when it names one we ship, else the best of the
browser's Accept-Language, else English. Nothing is kept in a cookie: public pages stay the same
bytes for every visitor in a language, and a shared cache keys them by the address (`?lang=`) or,
where the header chose, by `Vary: Accept-Language`. Links from a page that named its language carry
it on, so a reader who chose a language keeps it from page to page.
"""

from __future__ import annotations

import gettext
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import click
import pycountry
from babel import Locale
from flask import Flask, Response, g, has_request_context, request
from flask.cli import AppGroup
from flask_babel import (
    Babel,
    force_locale,
    format_date,
    format_datetime,
    format_decimal,
    format_time,
    get_locale,
)

from campaign import links

# Every language the interface and the mail are written in, each named in its own words.
# English is the source language: its text is the msgid itself.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "hy": "Հայերեն",
    "fr": "Français",
    "ru": "Русский",
}
DEFAULT_LANGUAGE = "en"
TRANSLATED = tuple(code for code in LANGUAGES if code != DEFAULT_LANGUAGE)

babel = Babel()


def N_(message: str) -> str:  # noqa: N802 (the name pybabel extracts by default)
    """Mark a message for the catalogs, kept untranslated here: it is translated where it is shown."""
    return message


def supported(code: str | None) -> str | None:
    """The language code if we ship it ('hy', 'fr-CA' -> 'fr'), else None."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


@contextmanager
def writing_in(language: str | None) -> Iterator[None]:
    """Write in this language if shipped, else the default (a contact's notice: in the campaign's)."""
    with force_locale(supported(language) or DEFAULT_LANGUAGE):
        yield


def requested_language() -> str | None:
    """The language this request's address names (`?lang=`), if we ship it."""
    if not has_request_context():
        return None
    return supported(request.args.get("lang"))


def command_line_language() -> str | None:
    """The language of the process's locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG) in a `campaign` command.

    Read as gettext reads it: the first of those variables that is set, a
    colon-separated list for LANGUAGE ("fr:en"), a locale such as
    "hy_AM.UTF-8" for the others. Only under the app's own CLI: a Celery
    worker is a click program too, and what it writes stays in English.
    """
    context = click.get_current_context(silent=True)
    if context is None or not isinstance(context.find_root().command, AppGroup):
        return None
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            found = (supported(entry.split(".")[0].split("@")[0]) for entry in value.split(":"))
            return next((code for code in found if code), None)
    return None


def select_locale() -> str:
    """Flask-Babel's locale selector: the address's language, then the browser's, then English."""
    if not has_request_context():
        # The worker writes mail under force_locale; anything else it writes is in English.
        return command_line_language() or DEFAULT_LANGUAGE
    chosen = requested_language()
    if chosen:
        return chosen
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The language the current page or message is written in ('en', 'hy', 'fr' or 'ru')."""
    locale = get_locale()
    return (supported(str(locale)) if locale else None) or DEFAULT_LANGUAGE


def text_direction(code: str) -> str:
    """'ltr' or 'rtl' for a language, as Babel's locale data says."""
    return "rtl" if Locale.parse(code).character_order == "right-to-left" else "ltr"


@cache
def _country_translation(language: str) -> gettext.NullTranslations:
    """pycountry's ISO 3166-1 catalog for a language (English: the names themselves)."""
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True)


@cache
def _region_translation(language: str) -> gettext.NullTranslations:
    """pycountry's ISO 3166-2 catalog (regions, provinces) for a language."""
    return gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=[language], fallback=True)


@cache
def country_name_in(code: str, language: str) -> str:
    """The name of an ISO 3166-1 alpha-2 country in a language; the code if it is not a country."""
    country = pycountry.countries.get(alpha_2=code.upper()) if code else None
    if country is None:
        return code
    # The short common name where the standard has one (Bolivia, not the Plurinational State of).
    name = getattr(country, "common_name", None) or country.name
    translated = _country_translation(language).gettext(name)
    if translated == name and name != country.name:
        translated = _country_translation(language).gettext(country.name)
    return translated


def country_name(code: str) -> str:
    """The name of a country in the reader's language."""
    return country_name_in(code, current_language())


# Region names pycountry has no catalog for, by language: {"AM-ER": "Երևան", ...} in regions_<lang>.json.
_OWN_REGION_NAMES = Path(__file__).parent / "translations"


@cache
def own_region_names(language: str) -> dict[str, str]:
    """Our own names of ISO 3166-2 subdivisions in a language (Armenian: pycountry has none), by code."""
    path = _OWN_REGION_NAMES / f"regions_{language}.json"
    if language not in LANGUAGES or not path.is_file():
        return {}
    names: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return names


@cache
def region_name_in(code: str, language: str) -> str:
    """The name of an ISO 3166-2 subdivision ('AM-ER') in a language; the code if unknown."""
    region = pycountry.subdivisions.get(code=code.upper()) if code else None
    if region is None:
        return code
    return own_region_names(language).get(region.code) or _region_translation(language).gettext(region.name)


def region_name(code: str) -> str:
    """The name of a region in the reader's language."""
    return region_name_in(code, current_language())


def number(value: int | float) -> str:
    """A number as the reader's language writes it (12,345 / 12 345 / 12 345)."""
    return str(format_decimal(value))


def day(value: date | datetime | None) -> str:
    """A date in the reader's language, e.g. '3 March 2026' / '3 mars 2026'."""
    return "" if value is None else str(format_date(value, "long"))


def moment(value: datetime | None) -> str:
    """A date and time in the reader's language."""
    return "" if value is None else str(format_datetime(value, "medium"))


def clock(value: datetime | None) -> str:
    """A time of day in the reader's language."""
    return "" if value is None else str(format_time(value, "short"))


# Counts tried, smallest first, for one in each plural category (French "many" starts at a million).
_PLURAL_CANDIDATES = (*range(200), 1_000, 10_000, 100_000, 1_000_000, 10_000_000)


@cache
def plural_samples(code: str) -> tuple[tuple[str, int], ...]:
    """A whole count in each plural category of a language, named as Intl.PluralRules names them.

    Russian: (('few', 2), ('many', 0), ('one', 1)). A category no whole
    number falls in (Russian "other": fractions) is left out.
    """
    rule = Locale.parse(code).plural_form
    found: dict[str, int] = {}
    for count in _PLURAL_CANDIDATES:
        found.setdefault(rule(count), count)
    return tuple(sorted(found.items()))


def switch_url(code: str) -> str:
    """This page's address in another language: the same path and query, with `lang` set.

    The link's `source` tag is left out: it belongs to the visitor who came
    in with it, and so do the click ids and tags other sites add to links to
    us (links.is_tracking). A page made once for every reader (within
    `links_for_everyone()`) keeps nothing of the address but its path.
    """
    if not has_request_context():
        return "?" + urlencode({"lang": code})
    kept = (
        []
        if g.get("links_for_everyone")
        else [
            (key, value)
            for key, value in request.args.items(multi=True)
            if key not in ("lang", "source") and not links.is_tracking(key)
        ]
    )
    return request.path + "?" + urlencode([*kept, ("lang", code)])


@contextmanager
def links_for_everyone() -> Iterator[None]:
    """Within: the page being made is for every reader, so its links keep nothing of this address's query."""
    before = g.get("links_for_everyone", False)
    g.links_for_everyone = True
    try:
        yield
    finally:
        g.links_for_everyone = before


def link_values(language: str | None) -> dict[str, str]:
    """The `lang` a link in a message carries so its page opens in the message's language.

    None for English, the default: such a link lets the reader's browser choose.
    """
    chosen = supported(language)
    return {"lang": chosen} if chosen and chosen != DEFAULT_LANGUAGE else {}


def _keep_language(endpoint: str, values: dict[str, Any]) -> None:
    """url_for keeps the language the address named, so the reader stays in it from page to page."""
    if endpoint == "static" or "lang" in values:
        return
    chosen = requested_language()
    if chosen:
        values["lang"] = chosen


def _vary_on_language(response: Response) -> Response:
    """A page or feed whose language the browser's header chose may differ by that header: say so."""
    chose = has_request_context() and requested_language() is None
    if chose and response.mimetype in ("text/html", "application/atom+xml"):
        response.vary.add("Accept-Language")
    return response


def init_app(app: Flask) -> None:
    """Set up Flask-Babel, the language switch, and the filters that format for the reader."""
    babel.init_app(app, locale_selector=select_locale, default_locale=DEFAULT_LANGUAGE)
    # {% trans %} blocks are read with their whitespace folded, as babel.cfg extracts them.
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.url_defaults(_keep_language)
    app.after_request(_vary_on_language)
    app.jinja_env.globals.update(
        LANGUAGES=LANGUAGES,
        current_language=current_language,
        text_direction=text_direction,
        switch_url=switch_url,
        plural_samples=plural_samples,
    )
    app.jinja_env.filters.update(
        country_name=country_name,
        region_name=region_name,
        number=number,
        thousands=number,
        day=day,
        moment=moment,
        clock=clock,
    )
