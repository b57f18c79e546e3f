"""`campaign token create EMAIL`: a new API token for a user, printed once with its expiry."""

from __future__ import annotations

import getpass

import click
from flask import Flask

from campaign.accounts.service import user_by_email
from campaign.api.tokens import create_token
from campaign.extensions import db


def init_app(app: Flask) -> None:
    """Register the token commands."""

    @app.cli.group("token")
    def token_group() -> None:
        """Manage API tokens."""

    @token_group.command("create")
    @click.argument("email")
    @click.option("--name", default="Command line", show_default=True, help="What the token is for.")
    def create_command(email: str, name: str) -> None:
        """Create an API token for the user with this email and print it (it is shown only once)."""
        user = user_by_email(email)
        if user is None or not user.is_active:
            raise click.ClickException(f"No active user {email!r}.")
        token, secret = create_token(user, name, actor=f"cli:{getpass.getuser()}")
        db.session.commit()
        # The secret alone on stdout, so scripts can capture it; the expiry for the person, on stderr.
        click.echo(secret)
        click.echo(f"Expires {token.expires_at:%Y-%m-%d %H:%M} UTC.", err=True)
