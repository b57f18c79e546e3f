"""Template filters and globals shared by every page."""

from __future__ import annotations

from functools import cache

import pycountry
from flask import Flask

from campaign.mail.service import short_name


@cache
def country_name(code: str) -> str:
    """The English name of an ISO 3166-1 alpha-2 country code."""
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


def percent(count: int, goal: int) -> int:
    """How far a count is toward its goal, 0 to 100."""
    return max(0, min(100, count * 100 // goal)) if goal > 0 else 0


def init_app(app: Flask) -> None:
    """Register filters and globals."""
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.filters["thousands"] = lambda n: f"{n:,}"
    app.jinja_env.globals["percent"] = percent
    # A name someone typed, as mail shows it: one line, trimmed (campaign.mail.service.short_name).
    app.jinja_env.filters["short_name"] = short_name
