"""The `campaign` command: the Flask CLI of the app, with the platform's own commands."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup


class TranslatedOption(click.Option):
    """An option whose help text (a lazy_gettext string) is translated when --help shows it.

    click cleans an option's help when the option is declared, at import, which
    would fix it in English; this keeps the lazy text and reads it at display,
    in the language of the process's locale (campaign.i18n.select_locale).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Declare the option, keeping its help text untranslated until it is shown."""
        self.lazy_help = kwargs.get("help")
        super().__init__(*args, **kwargs)

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        """The option's line of --help, its text in the reader's language."""
        if self.lazy_help is not None:
            self.help = str(self.lazy_help)
        return super().get_help_record(ctx)


def init_app(app: Flask) -> None:
    """Register the platform's commands: each domain's, from its commands module."""
    from campaign import doctor
    from campaign.accounts import commands as account_commands
    from campaign.api import commands as token_commands
    from campaign.campaigns import commands as demo_commands
    from campaign.exports import commands as export_commands
    from campaign.ledger import commands as ledger_commands
    from campaign.mail import commands as mail_commands
    from campaign.moderation import commands as signature_commands
    from campaign.privacy import commands as key_commands
    from campaign.signing import commands as flood_commands
    from campaign.webhooks import commands as webhook_commands

    for register in (
        demo_commands.init_app,
        doctor.init_app,
        export_commands.init_app,
        flood_commands.init_app,
        key_commands.init_app,
        ledger_commands.init_app,
        mail_commands.init_app,
        signature_commands.init_app,
        token_commands.init_app,
        account_commands.init_app,
        webhook_commands.init_app,
    ):
        register(app)


def _create_app() -> Flask:
    """The app, for the CLI."""
    from campaign import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """Manage the campaign platform."""
