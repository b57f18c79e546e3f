"""Who did something, as pages name them: the audit log's "user:2" becomes the user's name.

The log keeps actors as short strings ("user:2", "cli:root", "system:webhooks",
"supporter:own-page"), which stay true when a name changes; a page that shows a
history turns every actor it shows into words at once, with one query for all
the users among them:
`{% set names = history|map(attribute='actor')|actor_names %}`, then `names[event.actor]`.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext
from sqlalchemy import select

from campaign.accounts.models import User
from campaign.extensions import db


def _user_id(actor: str) -> int | None:
    """The id of a "user:<id>" actor; None for any other."""
    kind, _, rest = actor.partition(":")
    return int(rest) if kind == "user" and rest.isdigit() else None


def _other_name(actor: str) -> str:
    """How a page names an actor that is not a user: the command line, the platform itself."""
    kind, _, rest = actor.partition(":")
    if kind == "cli":
        return gettext("%(login)s at the command line", login=rest)
    if kind == "system":
        return gettext("The platform")
    if kind == "supporter":
        # A signer acting from their own page by its emailed link, with no account to name.
        return gettext("A signer")
    return actor


def actor_names(actors: Iterable[str | None]) -> dict[str, str]:
    """Each actor string's name for a page, keyed by the string (users: one query for them all)."""
    wanted = {actor for actor in actors if actor}
    ids = {found for actor in wanted if (found := _user_id(actor)) is not None}
    users: dict[int, str] = {}
    if ids:
        rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
        users = {row.id: row.display_name for row in rows}
    names: dict[str, str] = {}
    for actor in wanted:
        user_id = _user_id(actor)
        if user_id is None:
            names[actor] = _other_name(actor)
        else:
            names[actor] = users.get(user_id) or gettext("a removed account")
    return names
