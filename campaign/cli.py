"""The `campaign` command: the Flask CLI of the app, with the platform's own commands."""

from __future__ import annotations

import gettext
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, NoAppException, ScriptInfo
from flask_babel import lazy_gettext as _l

from campaign.i18n import N_

# The catalogs, whose domain ("messages") is also the one click reads its own words from.
CATALOGS = Path(__file__).parent / "translations"


# click's own words on a help page and in its errors, which click reads with the standard library's
# gettext: in the `campaign` command, from our catalogs (TranslatedFlaskGroup.main).
CLICK_WORDS = (
    # Translators: this and those below: words of click's help pages and errors; keep {braces} as they are
    N_("Usage:"),
    N_("Options"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing command."),
    N_("No such command {name!r}."),
    N_("No such option {name!r}."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Aborted!"),
    N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."),
)


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


class TranslatedHelp:
    """A command's or group's help text read in the reader's language each time it is shown.

    Give the command `help=_l("...")`: click would take its docstring, which
    no catalog holds, and which stays for developers. The lazy text is kept
    (as `lazy_help`) and `help` translates it when --help or the parent's
    list of commands reads it, in the language of the process's locale.
    """

    lazy_help: Any = None

    @property
    def help(self) -> str | None:
        """The help text in the reader's language."""
        return None if self.lazy_help is None else str(self.lazy_help)

    @help.setter
    def help(self, value: Any) -> None:
        """Keep the help text untranslated until it is shown (click sets it when the command is made)."""
        self.lazy_help = value


class TranslatedCommand(TranslatedHelp, click.Command):
    """A command whose help text is translated when shown: `cls=TranslatedCommand, help=_l("...")`."""


class TranslatedGroup(TranslatedHelp, AppGroup):
    """A group of commands, each with the app's context (as AppGroup), their help translated when shown."""

    command_class = TranslatedCommand


class TranslatedFlaskGroup(TranslatedHelp, FlaskGroup):
    """The `campaign` command itself: its help, and click's words around it, in the reader's language too."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command, click's words ("Usage:", "Error: ...") read from our catalogs.

        The standard library's gettext reads the language from the same variables
        as campaign.i18n.command_line_language; a Celery worker, also a click
        program, does not come here and stays in English.
        """
        gettext.bindtextdomain("messages", str(CATALOGS))
        return super().main(*args, **kwargs)

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Write the help text, in the reader's language: the catalogs are read under the app's context.

        `campaign --help` writes this before it loads the app to list its
        commands, so the app is loaded here (as FlaskGroup.get_command does).
        """
        try:
            app = ctx.ensure_object(ScriptInfo).load_app()
        except NoAppException:
            app = None  # FlaskGroup says why when it lists the commands; this text stays in English
        if app is not None and (not current_app or current_app._get_current_object() is not app):  # type: ignore[attr-defined]
            ctx.with_resource(app.app_context())
        super().format_help_text(ctx, formatter)


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


@click.group(cls=TranslatedFlaskGroup, create_app=_create_app, help=_l("Manage the campaign platform."))
def main() -> None:
    """Manage the campaign platform."""
