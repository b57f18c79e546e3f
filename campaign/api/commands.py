"""`campaign token create EMAIL`: a new API token for a user, printed once with its expiry."""

from __future__ import annotations

import getpass

import click
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign.accounts.service import user_by_email
from campaign.api.tokens import create_token
from campaign.cli import TranslatedGroup, TranslatedOption
from campaign.extensions import db


def init_app(app: Flask) -> None:
    """Register the token commands."""

    @app.cli.group("token", cls=TranslatedGroup, help=_l("Manage API tokens."))
    def token_group() -> None:
        """Manage API tokens."""

    @token_group.command(
        "create",
        help=_l("Create an API token for the user with this email and print it (it is shown only once)."),
    )
    @click.argument("email")
    @click.option(
        "--name",
        default="Command line",
        show_default=True,
        cls=TranslatedOption,
        help=_l("What the token is for."),
    )
    def create_command(email: str, name: str) -> None:
        """Create an API token for the user with this email and print it (it is shown only once)."""
        user = user_by_email(email)
        if user is None or not user.is_active:
            raise click.ClickException(_("No active user '%(email)s'.", email=email))
        token, secret = create_token(user, name, actor=f"cli:{getpass.getuser()}")
        db.session.commit()
        # The secret alone on stdout, so scripts can capture it; the expiry for the person, on stderr.
        click.echo(secret)
        click.echo(_("Expires %(moment)s UTC.", moment=token.expires_at.strftime("%Y-%m-%d %H:%M")), err=True)
