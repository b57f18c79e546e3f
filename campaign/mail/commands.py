"""`campaign mail suppressed|unsuppress EMAIL`: whether mail to an address is stopped (it bounced for
good, or its owner stopped all email or called our mail spam), and lifting that when it was a
mistake; audited.

Suppressions are stored by the address's keyed hash only: an address is looked up, never listed.
"""

from __future__ import annotations

import getpass
from datetime import datetime

import click
from email_validator import EmailNotValidError, validate_email
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, select

from campaign.audit.service import record
from campaign.cli import TranslatedGroup
from campaign.extensions import db
from campaign.mail.models import MailSuppression, SuppressionReason
from campaign.mail.service import recipient_index
from campaign.validation import email_reason

UNSUPPRESSED = "mail.unsuppressed"


def index_of_address(email: str) -> str:
    """The keyed hash suppressions know an address by; a clear error if it is no email address."""
    try:
        # No DNS lookup: an address that bounced may well have a domain that no longer takes mail.
        checked = validate_email(email.strip(), check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as error:
        raise click.ClickException(
            _("Please check the email address: %(reason)s", reason=email_reason(error))
        ) from None
    return recipient_index(str(checked.normalized))


def suppressions_of(index: str) -> list[MailSuppression]:
    """The address's suppressions, oldest first."""
    query = select(MailSuppression).where(MailSuppression.recipient_index == index)
    return list(db.session.scalars(query.order_by(MailSuppression.created_at)))


def lift(index: str, actor: str) -> list[SuppressionReason]:
    """Remove the address's suppressions and audit it (if there were any); return their reasons."""
    removing = delete(MailSuppression).where(MailSuppression.recipient_index == index)
    reasons = sorted(db.session.scalars(removing.returning(MailSuppression.reason)))
    if reasons:
        record(actor, UNSUPPRESSED, f"mail_suppression:{index}", reasons=[str(reason) for reason in reasons])
    return reasons


def _said(reason: SuppressionReason, since: datetime) -> str:
    """A suppression in a sentence: why, since when (UTC)."""
    when = f"{since:%Y-%m-%d %H:%M} UTC"
    if reason is SuppressionReason.HARD_BOUNCE:
        return _("Suppressed since %(when)s: the address bounced for good; no mail is sent to it.", when=when)
    if reason is SuppressionReason.COMPLAINT:
        return _(
            "Suppressed since %(when)s: its owner reported our mail as spam; only mail about their own "
            "account, and their page's link once a week, is sent to it.",
            when=when,
        )
    return _(
        "Suppressed since %(when)s: its owner stopped all email to it; only mail about their own "
        "account, and their page's link once a week, is sent to it.",
        when=when,
    )


def init_app(app: Flask) -> None:
    """Register the mail commands."""

    @app.cli.group(
        "mail",
        cls=TranslatedGroup,
        help=_l(
            "Addresses mail is no longer sent to (they bounced for good, or their owner called it spam)."
        ),
    )
    def mail_group() -> None:
        """Addresses mail is no longer sent to (they bounced for good, or their owner called it spam)."""

    @mail_group.command(
        "suppressed", help=_l("Say whether mail to the address is suppressed, why and since when.")
    )
    @click.argument("email")
    def suppressed_command(email: str) -> None:
        """Say whether mail to the address is suppressed, why and since when."""
        found = suppressions_of(index_of_address(email))
        if not found:
            click.echo(_("Not suppressed: mail is sent to this address."))
        for suppression in found:
            click.echo(_said(suppression.reason, suppression.created_at))

    @mail_group.command(
        "unsuppress",
        help=_l("Send mail to the address again (it bounced or was reported by mistake); audited."),
    )
    @click.argument("email")
    def unsuppress_command(email: str) -> None:
        """Send mail to the address again (it bounced or was reported by mistake); audited."""
        reasons = lift(index_of_address(email), f"cli:{getpass.getuser()}")
        db.session.commit()
        if not reasons:
            click.echo(_("This address was not suppressed: nothing changed."))
            return
        count = len(reasons)
        click.echo(
            ngettext(
                "Removed %(num)d suppression: mail is sent to this address again.",
                "Removed %(num)d suppressions: mail is sent to this address again.",
                count,
            )
        )
        if SuppressionReason.COMPLAINT in reasons:
            # stop_email (campaign.signing.supporters) is the person's own choice from then on.
            click.echo(_("Updates and follow-ups stay stopped for the person who complained."))
