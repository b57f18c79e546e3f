"""`campaign signatures invalidate --range ... --domain ... [--dry-run]`: bulk invalidation from a shell.

The same service as the staff page, run in this process: counted first, then,
unless --dry-run, invalidated after a confirmation; audited as "cli:<user>".
A pattern needs the private key where the command runs (it opens addresses).
"""

from __future__ import annotations

import getpass
from datetime import datetime

import click
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from campaign.campaigns.models import Campaign
from campaign.cli import TranslatedGroup, TranslatedOption
from campaign.extensions import db
from campaign.moderation import invalidation
from campaign.moderation.criteria import STATUSES, Criteria, CriteriaError

DATETIME_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def init_app(app: Flask) -> None:
    """Register the signatures commands."""

    @app.cli.group("signatures", cls=TranslatedGroup, help=_l("Manage signatures in bulk."))
    def signatures_group() -> None:
        """Manage signatures in bulk."""

    @signatures_group.command(
        "invalidate",
        help=_l("Invalidate, as fraud, the signatures matching every criterion given (at least one)."),
    )
    @click.option(
        "--range",
        "address_range",
        default="",
        cls=TranslatedOption,
        help=_l("CIDR range: a /24 or /64, or wider."),
    )
    @click.option("--domain", default="", cls=TranslatedOption, help=_l("Email domain, matched exactly."))
    @click.option("--pattern", default="", cls=TranslatedOption, help=_l("Glob on the address, or /regex/."))
    @click.option("--country", default="", cls=TranslatedOption, help=_l("ISO 3166-1 alpha-2 code."))
    @click.option(
        "--from",
        "signed_from",
        type=click.DateTime(DATETIME_FORMATS),
        cls=TranslatedOption,
        help=_l("Signed at or after (UTC)."),
    )
    @click.option(
        "--to",
        "signed_to",
        type=click.DateTime(DATETIME_FORMATS),
        cls=TranslatedOption,
        help=_l("Signed before (UTC)."),
    )
    @click.option("--campaign", "slug", default="", cls=TranslatedOption, help=_l("The campaign's slug."))
    @click.option(
        "--status",
        "statuses",
        multiple=True,
        type=click.Choice(STATUSES),
        cls=TranslatedOption,
        help=_l("Repeatable; default: both."),
    )
    @click.option(
        "--dry-run", is_flag=True, cls=TranslatedOption, help=_l("Only count what matches; change nothing.")
    )
    @click.option("--yes", is_flag=True, cls=TranslatedOption, help=_l("Do not ask for confirmation."))
    def invalidate_command(
        address_range: str,
        domain: str,
        pattern: str,
        country: str,
        signed_from: datetime | None,
        signed_to: datetime | None,
        slug: str,
        statuses: tuple[str, ...],
        dry_run: bool,
        yes: bool,
    ) -> None:
        """Invalidate, as fraud, the signatures matching every criterion given (at least one)."""
        try:
            criteria = Criteria.build(
                address_range=address_range,
                domain=domain,
                pattern=pattern,
                country=country,
                signed_from=signed_from,
                signed_to=signed_to,
                campaign_id=_campaign_id(slug),
                statuses=statuses or STATUSES,
            )
        except CriteriaError as error:
            raise click.UsageError(str(error)) from None
        actor = f"cli:{getpass.getuser()}"
        job = invalidation.new_job(criteria, actor=actor, user_id=None)
        db.session.commit()
        matched = invalidation.count_job(job.id) or 0
        click.echo(ngettext("%(num)s signature matches.", "%(num)s signatures match.", matched))
        if matched:
            db.session.refresh(job)
            counted = job.matched_counted or 0
            click.echo(
                ngettext(
                    "%(num)s of them counts now: the run removes it from the count, in public (the ledger).",
                    "%(num)s of them count now: the run removes them from the count, in public (the ledger).",
                    counted,
                )
            )
        if dry_run or not matched:
            return
        if not yes:
            click.confirm(_("Invalidate %(count)s?", count=matched), abort=True)
        try:
            invalidation.start(job.id, actor=actor, defer=False)
        except invalidation.InvalidationError as error:
            raise click.ClickException(str(error)) from None
        db.session.commit()
        done = invalidation.run_job(job.id)
        click.echo(_("Invalidated %(count)s; the counts are corrected at the next fold.", count=done))


def _campaign_id(slug: str) -> int | None:
    """The id of the campaign with this slug (None for none given); a usage error if there is none."""
    if not slug:
        return None
    found = db.session.execute(select(Campaign.id).where(Campaign.slug == slug)).scalar()
    if found is None:
        raise click.UsageError(_("No campaign '%(slug)s'.", slug=slug))
    return int(found)
