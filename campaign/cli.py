"""The `campaign` command: the Flask CLI of the app, with the platform's own commands."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from campaign.campaigns.demo import seed_demo


def init_app(app: Flask) -> None:
    """Register the platform's commands."""
    from campaign import doctor
    from campaign.api import commands as token_commands
    from campaign.exports import commands as export_commands
    from campaign.moderation import commands as signature_commands
    from campaign.privacy import commands as key_commands
    from campaign.signing import commands as flood_commands

    doctor.init_app(app)
    export_commands.init_app(app)
    key_commands.init_app(app)
    token_commands.init_app(app)
    flood_commands.init_app(app)
    signature_commands.init_app(app)

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Seed the demo campaigns into an empty database."""
        added = seed_demo()
        click.echo(f"Seeded {added} demo campaigns." if added else "Database not empty: nothing seeded.")


def _create_app() -> Flask:
    """The app, for the CLI."""
    from campaign import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Manage the campaign platform."""
