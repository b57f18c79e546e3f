"""`campaign ledger keys|publish` and `campaign verify URL`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from campaign.cli import TranslatedCommand, TranslatedGroup, TranslatedOption
from campaign.extensions import db
from campaign.ledger import backfill, heads, keys, verify


def init_app(app: Flask) -> None:
    """Register the ledger's commands."""

    @app.cli.group("ledger", cls=TranslatedGroup, help=_l("The public ledger of each campaign's count."))
    def ledger_group() -> None:
        """The public ledger of each campaign's count."""

    @ledger_group.command(
        "keys",
        help=_l(
            "Make the key tree heads are signed with (if there is none, or with --rotate), and list the keys."
        ),
    )
    @click.option(
        "--rotate", is_flag=True, cls=TranslatedOption, help=_l("Make a new key even if one exists.")
    )
    def keys_command(rotate: bool) -> None:
        """Make the key tree heads are signed with (if there is none, or with --rotate), and list the keys."""
        if rotate or keys.current_key_row() is None:
            key_id = keys.create_key()
            db.session.commit()
            click.echo(_("New ledger key %(id)s in %(file)s.", id=key_id, file=keys.key_file(key_id)))
        for row in keys.all_keys():
            state = (
                _("retired %(date)s", date=row.retired_at.date().isoformat())
                if row.retired_at
                else _("current")
            )
            click.echo(f"{row.id}  {row.public_key.hex()}  {row.created_at:%Y-%m-%d}  {state}")

    @ledger_group.command(
        "publish", help=_l("Sign and publish a head for every campaign whose ledger changed.")
    )
    def publish_command() -> None:
        """Sign and publish a head for every campaign whose ledger changed."""
        published = heads.publish_heads()
        click.echo(ngettext("Published %(num)s head.", "Published %(num)s heads.", published))

    @ledger_group.command(
        "backfill",
        help=_l("Append an add for every counted signature the ledger lacks (signatures counted before it)."),
    )
    @click.option(
        "--batch",
        type=click.IntRange(1, 100_000),
        default=backfill.DEFAULT_BATCH,
        cls=TranslatedOption,
        help=_l("Signatures appended per transaction."),
    )
    def backfill_command(batch: int) -> None:
        """Append an add for every counted signature the ledger lacks (signatures counted before it)."""
        appended = backfill.backfill(batch)
        click.echo(
            ngettext(
                "Added %(num)s counted signature that was missing from the ledger.",
                "Added %(num)s counted signatures that were missing from the ledger.",
                appended,
            )
        )

    @app.cli.command(
        "verify", cls=TranslatedCommand, help=_l("Verify a campaign's public ledger on a live site.")
    )
    @click.argument("url")
    @click.option("--receipt", default=None, cls=TranslatedOption, help=_l("A receipt's address to check."))
    @click.option(
        "--state",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        cls=TranslatedOption,
        help=_l("A file of the heads seen before (made if missing)."),
    )
    @click.option(
        "--watch",
        type=float,
        default=None,
        cls=TranslatedOption,
        help=_l("Check the ledger again and again, waiting this many seconds between checks."),
    )
    def verify_command(url: str, receipt: str | None, state: Path | None, watch: float | None) -> None:
        """Verify a campaign's public ledger on a live site (campaign/ledger/verify.py does the work)."""
        sys.exit(verify.run(url, receipt, state, watch, say=click.echo))
