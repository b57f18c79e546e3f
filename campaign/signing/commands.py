"""The `floods` commands: keep the list of disposable email domains up to date."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from campaign.cli import TranslatedGroup, TranslatedOption
from campaign.signing import email_domains

flood_commands = TranslatedGroup("floods", help=_l("Flood rules on signing."))


@flood_commands.command(
    "update-disposable",
    help=_l("Store a newer list of disposable email domains; it is used instead of the packaged one."),
)
@click.option(
    "--from",
    "source",
    default=email_domains.DISPOSABLE_SOURCE_URL,
    show_default=True,
    cls=TranslatedOption,
    help=_l("A file, or an https:// URL, with one domain a line."),
)
def update_disposable_command(source: str) -> None:
    """Store a newer list of disposable email domains; it is used instead of the packaged one."""
    try:
        count = email_domains.update_disposable(source)
    except (email_domains.BadDomainList, UnicodeDecodeError) as error:
        raise click.ClickException(_("Nothing stored: %(error)s", error=error)) from None
    except OSError as error:
        raise click.ClickException(
            _("Nothing stored: cannot read %(source)s: %(error)s", source=source, error=error)
        ) from None
    target = Path(current_app.instance_path) / email_domains.DISPOSABLE_FILE
    click.echo(
        _(
            "Stored %(count)s disposable domains in %(file)s; every process reads it within a minute.",
            count=count,
            file=target,
        )
    )


def init_app(app: Flask) -> None:
    """Register the `floods` command group."""
    app.cli.add_command(flood_commands)
