"""`campaign seed-demo`: the demo campaigns, seeded into an empty database."""

from __future__ import annotations

import click
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign.campaigns.demo import seed_demo
from campaign.cli import TranslatedCommand


def init_app(app: Flask) -> None:
    """Register the seed-demo command."""

    @app.cli.command(
        "seed-demo", cls=TranslatedCommand, help=_l("Seed the demo campaigns into an empty database.")
    )
    def seed_demo_command() -> None:
        """Seed the demo campaigns into an empty database."""
        added = seed_demo()
        if added:
            click.echo(_("Seeded %(count)s demo campaigns.", count=added))
        else:
            click.echo(_("Database not empty: nothing seeded."))
