"""`campaign keys`: make, rotate and list the keys supporters' data is sealed to."""

from __future__ import annotations

import click
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from campaign.accounts.models import Organization
from campaign.cli import TranslatedGroup, TranslatedOption
from campaign.extensions import db
from campaign.privacy import keys
from campaign.privacy.models import SealingKey


def _organization_id(slug: str | None) -> int | None:
    """The id of the organization with this slug (None: the platform); a clear error if there is none."""
    if slug is None:
        return None
    found = db.session.execute(select(Organization.id).where(Organization.slug == slug)).scalar()
    if found is None:
        raise click.ClickException(_("No organization '%(slug)s'.", slug=slug))
    return int(found)


def init_app(app: Flask) -> None:
    """Register the key commands."""

    @app.cli.group(
        "keys", cls=TranslatedGroup, help=_l("Manage the keys supporters' personal data is sealed to.")
    )
    def keys_group() -> None:
        """Manage the keys supporters' personal data is sealed to."""

    @keys_group.command(
        "init", help=_l("Make the blind-index key and the platform's key pair, if they do not exist yet.")
    )
    def init_command() -> None:
        """Make the blind-index key and the platform's key pair, if they do not exist yet."""
        made = keys.init_keys()
        db.session.commit()
        where = keys.keys_path()
        if made:
            click.echo(_("Made %(keys)s in %(folder)s.", keys=", ".join(made), folder=where))
        else:
            click.echo(_("Keys already in place: nothing made."))

    @keys_group.command(
        "rotate",
        help=_l(
            "Make a new key pair; new data is sealed to it, and the old private key still opens old data."
        ),
    )
    @click.option(
        "--organization",
        "slug",
        default=None,
        cls=TranslatedOption,
        help=_l("Organization slug (default: platform)."),
    )
    def rotate_command(slug: str | None) -> None:
        """Make a new key pair; new data is sealed to it, and the old private key still opens old data."""
        key_id = keys.create_key(_organization_id(slug))
        db.session.commit()
        click.echo(
            _(
                "New key %(id)s: its private half is in %(folder)s; give it to every worker.",
                id=key_id,
                folder=keys.keys_path(),
            )
        )

    @keys_group.command(
        "list",
        help=_l("List the keys: id, whose, when made, whether retired, and whether this machine holds it."),
    )
    def list_command() -> None:
        """List the keys: id, whose, when made, whether retired, and whether this machine holds it."""
        held = keys.private_keys()
        for key in db.session.execute(select(SealingKey).order_by(SealingKey.created_at)).scalars():
            # Translators: whose key it is, in `campaign keys list`: "organization 12" or "platform"
            whose = _("organization %(id)s", id=key.organization_id) if key.organization_id else _("platform")
            # The same words as `campaign ledger keys` (a key: "clé", "ключ" in their genders).
            state = (
                _("retired %(date)s", date=key.retired_at.date().isoformat())
                if key.retired_at
                else _("current")
            )
            # Translators: whether this machine holds the key's private half
            here = _("held here") if key.id in held else _("not held here")
            # Translators: when the key was made, in `campaign keys list`
            made = _("made %(date)s", date=key.created_at.date().isoformat())
            click.echo(f"{key.id}  {whose}  {made}  {state}  {here}")
