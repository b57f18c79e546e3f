"""`campaign webhooks add|list|remove`: an organization's webhook endpoints from the command line, audited."""

from __future__ import annotations

import getpass

import click
from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from campaign.accounts.models import Organization
from campaign.cli import TranslatedGroup, TranslatedOption
from campaign.extensions import db
from campaign.webhooks import service
from campaign.webhooks.models import EVENTS, SIGNATURE_CONFIRMED, WebhookEndpoint


def _organization(slug: str) -> Organization:
    """The organization with this slug, or a clear error."""
    found = db.session.execute(select(Organization).where(Organization.slug == slug)).scalar_one_or_none()
    if found is None:
        raise click.ClickException(_("No organization '%(slug)s'.", slug=slug))
    return found


def init_app(app: Flask) -> None:
    """Register the webhooks commands."""

    @app.cli.group("webhooks", cls=TranslatedGroup, help=_l("Manage organizations' webhook endpoints."))
    def webhooks_group() -> None:
        """Manage organizations' webhook endpoints."""

    @webhooks_group.command(
        "add",
        help=_l("Register an endpoint of the organization (by slug) and print its secret (shown only once)."),
    )
    @click.argument("organization")
    @click.argument("url")
    @click.option(
        "--event",
        "events",
        multiple=True,
        type=click.Choice(EVENTS),
        default=[SIGNATURE_CONFIRMED],
        show_default=True,
        cls=TranslatedOption,
        help=_l("An event to send (repeat the option for several)."),
    )
    def add_command(organization: str, url: str, events: tuple[str, ...]) -> None:
        """Register an endpoint of the organization (by slug) and print its secret (shown only once)."""
        found = _organization(organization)
        try:
            endpoint, secret = service.add_endpoint(found, url, list(events), f"cli:{getpass.getuser()}")
        except service.InvalidEndpoint as problem:
            raise click.ClickException(str(problem)) from None
        db.session.commit()
        click.echo(secret)
        click.echo(_("Endpoint %(id)d: %(url)s", id=endpoint.id, url=endpoint.url), err=True)

    @webhooks_group.command("list", help=_l("List the organization's endpoints: id, state, events, URL."))
    @click.argument("organization")
    def list_command(organization: str) -> None:
        """List the organization's endpoints: id, state, events, URL."""
        for endpoint in service.endpoints_of(_organization(organization)):
            state = _("on") if endpoint.is_enabled else _("off")
            click.echo(f"{endpoint.id}\t{state}\t{','.join(endpoint.event_list)}\t{endpoint.url}")

    @webhooks_group.command("remove", help=_l("Remove an endpoint by its id; nothing more is sent to it."))
    @click.argument("endpoint_id", type=int)
    def remove_command(endpoint_id: int) -> None:
        """Remove an endpoint by its id; nothing more is sent to it."""
        endpoint = db.session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None:
            raise click.ClickException(_("No webhook endpoint %(id)d.", id=endpoint_id))
        service.remove_endpoint(endpoint, f"cli:{getpass.getuser()}")
        db.session.commit()
        click.echo(_("Removed."), err=True)
