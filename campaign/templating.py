"""Template filters and globals shared by every page."""

from __future__ import annotations

from datetime import datetime, time

from babel import Locale, UnknownLocaleError
from flask import Flask
from flask_babel import gettext as _

from campaign import i18n, labels
from campaign.audit.actors import actor_names
from campaign.audit.phrases import action_phrase
from campaign.campaigns.models import last_day_of
from campaign.mail.service import short_name


def country_name(code: str) -> str:
    """The name of an ISO 3166-1 alpha-2 country code, in the reader's language."""
    return i18n.country_name(code)


def percent(count: int, goal: int) -> int:
    """How far a count is toward its goal, 0 to 100."""
    return max(0, min(100, count * 100 // goal)) if goal > 0 else 0


def deadline(closes_at: datetime) -> str:
    """When a campaign stops taking signatures, in the reader's language: a deadline set as a last day
    (closes_at_of) reads as that day; one set to another moment (by the API), to the minute."""
    if closes_at.time() == time(0):
        return _("Last day to sign: %(day)s (UTC)", day=i18n.day(last_day_of(closes_at)))
    return _("Signatures are taken until %(moment)s UTC", moment=i18n.moment(closes_at))


def language_name(code: str) -> str:
    """A language's name in the reader's language ('fr': 'French', 'français'); its code if unknown."""
    try:
        return Locale.parse(code).get_display_name(i18n.current_language()) or code
    except (ValueError, UnknownLocaleError):
        return code


def init_app(app: Flask) -> None:
    """Register filters and globals (the language ones come from campaign/i18n.py)."""
    app.jinja_env.globals["percent"] = percent
    app.jinja_env.globals["deadline"] = deadline
    app.jinja_env.filters["language_name"] = language_name
    # A stored English value (a role, a state) named in the reader's language: {{ user.role|label('role') }}.
    app.jinja_env.filters["label"] = labels.label
    # A name someone typed, as mail shows it: one line, trimmed (campaign.mail.service.short_name).
    app.jinja_env.filters["short_name"] = short_name
    # The audit log's actors ("user:2", "system:webhooks") by name, one query for a whole history.
    app.jinja_env.filters["actor_names"] = actor_names
    # The audit log's actions ("campaign.approved") as phrases in the reader's language.
    app.jinja_env.filters["action_phrase"] = action_phrase
