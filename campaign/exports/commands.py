"""`campaign export SLUG -o FILE.csv`: the system administrator's export, audited like the others."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.cli import TranslatedCommand, TranslatedOption
from campaign.exports.filters import COLUMNS, STATUSES, ExportError, ExportFilters
from campaign.exports.service import export_campaign_to
from campaign.extensions import db


def init_app(app: Flask) -> None:
    """Register the export command."""

    @app.cli.command(
        "export",
        cls=TranslatedCommand,
        help=_l("Export a campaign's signatures (validated by default) to a CSV file."),
    )
    @click.argument("slug")
    @click.option(
        "-o",
        "--output",
        "output",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
        cls=TranslatedOption,
        help=_l("The CSV file to write (it must not exist yet)."),
    )
    @click.option("--status", type=click.Choice(STATUSES), default="validated", show_default=True)
    @click.option(
        "--from",
        "signed_from",
        type=click.DateTime(["%Y-%m-%d"]),
        cls=TranslatedOption,
        help=_l("Signed on or after."),
    )
    @click.option(
        "--to",
        "signed_to",
        type=click.DateTime(["%Y-%m-%d"]),
        cls=TranslatedOption,
        help=_l("Signed on or before."),
    )
    @click.option("--country", cls=TranslatedOption, help=_l("ISO 3166-1 alpha-2 code."))
    @click.option(
        "--opted-in", is_flag=True, cls=TranslatedOption, help=_l("Only signers who agreed to be contacted.")
    )
    @click.option(
        "--columns",
        cls=TranslatedOption,
        help=_l("Comma-separated, from: %(columns)s.", columns=", ".join(COLUMNS)),
    )
    @click.option(
        "--excel", is_flag=True, cls=TranslatedOption, help=_l("Start with a byte-order mark for Excel.")
    )
    @click.option("--gzip", "is_gzip", is_flag=True, cls=TranslatedOption, help=_l("Compress the file."))
    def export_command(
        slug: str,
        output: Path,
        status: str,
        signed_from: object,
        signed_to: object,
        country: str | None,
        opted_in: bool,
        columns: str | None,
        excel: bool,
        is_gzip: bool,
    ) -> None:
        """Export a campaign's signatures (validated by default) to a CSV file."""
        campaign = db.session.execute(select(Campaign).where(Campaign.slug == slug)).scalar_one_or_none()
        if campaign is None:
            raise click.ClickException(_("No campaign '%(slug)s'.", slug=slug))
        if output.exists():
            raise click.ClickException(_("%(file)s exists already; choose a new file.", file=output))
        filters = ExportFilters(
            status=status,
            signed_from=_day(signed_from),
            signed_to=_day(signed_to),
            country=country.upper() if country else None,
            opted_in_only=opted_in,
        )
        chosen = [c.strip() for c in columns.split(",") if c.strip()] if columns else []
        try:
            rows = export_campaign_to(
                campaign,
                output,
                actor=f"cli:{getpass.getuser()}",
                filters=filters,
                columns=chosen,
                is_excel=excel,
                is_gzip=is_gzip,
            )
        except ExportError as error:
            raise click.ClickException(str(error)) from None
        click.echo(_("Wrote %(count)s signatures to %(file)s.", count=rows, file=output))


def _day(value: object) -> date | None:
    """A date from click's DateTime, or None."""
    return value.date() if hasattr(value, "date") else None
