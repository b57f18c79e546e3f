"""Webhooks: registering an organization's endpoints, their secrets, and the log of what they were sent.

What is sent is written by campaign.webhooks.payloads and delivered by
campaign.webhooks.delivery; an endpoint failing for too long is turned off by
campaign.webhooks.failures.
"""

from __future__ import annotations

import secrets

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select

from campaign import clock
from campaign.accounts.models import Organization
from campaign.audit.service import record
from campaign.extensions import db
from campaign.privacy import vault
from campaign.webhooks import reasons, transport
from campaign.webhooks.models import EVENTS, WebhookDelivery, WebhookEndpoint

# What sealed secrets are (campaign.privacy.vault), and how a secret starts: names, not secrets.
SECRET_PURPOSE = "webhook-secret"  # noqa: S105
SECRET_PREFIX = "whsec_"  # noqa: S105
ENDPOINTS_PER_ORGANIZATION = 10
URL_MAX = 2000
# The delivery log an owner sees: the newest this many.
LOG_SHOWN = 50


class InvalidEndpoint(Exception):
    """An endpoint that cannot be registered; the message says why, for the owner."""


def allowed_networks() -> list[transport.Network]:
    """The non-public networks the configuration lets endpoints be in (tests: loopback)."""
    return transport.allowed_networks(current_app.config["WEBHOOK_ALLOWED_NETWORKS"])


def _checked_url(url: str) -> str:
    """The URL if the platform may post to it; InvalidEndpoint with the reason otherwise."""
    url = url.strip()
    if not url or len(url) > URL_MAX:
        raise InvalidEndpoint(
            gettext("Give the endpoint's URL (at most %(count)d characters).", count=URL_MAX)
        )
    try:
        transport.check(url, allowed_networks())
    except transport.Refused as refused:
        raise InvalidEndpoint(
            gettext("This URL cannot be used: %(reason)s.", reason=reasons.describe(refused.stored))
        ) from None
    return url


def _new_secret() -> tuple[str, bytes, str]:
    """A new signing secret: as shown once, sealed, and its hint."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    sealed = vault.seal([secret], purpose=SECRET_PURPOSE, organization_id=None)
    return secret, sealed, secret[-4:]


def add_endpoint(
    organization: Organization, url: str, events: list[str], actor: str, created_by_id: int | None = None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for these events; return it and its secret (shown once); audited as `actor`."""
    wanted = [event for event in EVENTS if event in set(events)]
    if not wanted:
        raise InvalidEndpoint(gettext("Choose at least one event."))
    if len(endpoints_of(organization)) >= ENDPOINTS_PER_ORGANIZATION:
        raise InvalidEndpoint(
            gettext("An organization has at most %(count)d endpoints.", count=ENDPOINTS_PER_ORGANIZATION)
        )
    checked = _checked_url(url)
    secret, sealed, hint = _new_secret()
    endpoint = WebhookEndpoint(
        organization_id=organization.id,
        url=checked,
        events=" ".join(wanted),
        secret_sealed=sealed,
        secret_hint=hint,
        secret_created_at=clock.now(),
        created_by_id=created_by_id,
    )
    db.session.add(endpoint)
    db.session.flush()
    record(actor, "webhooks.added", f"webhook:{endpoint.id}", url=checked, events=wanted)
    return endpoint, secret


def remove_endpoint(endpoint: WebhookEndpoint, actor: str) -> None:
    """Remove an endpoint and its delivery log; what it was owed is never sent; audited."""
    record(actor, "webhooks.removed", f"webhook:{endpoint.id}", url=endpoint.url)
    db.session.delete(endpoint)
    db.session.flush()


def rotate_secret(endpoint: WebhookEndpoint, actor: str) -> str:
    """Give an endpoint a new secret, which signs every delivery from now on; return it (shown once)."""
    secret, endpoint.secret_sealed, endpoint.secret_hint = _new_secret()
    endpoint.secret_created_at = clock.now()
    record(actor, "webhooks.secret_rotated", f"webhook:{endpoint.id}")
    db.session.flush()
    return secret


def enable_endpoint(endpoint: WebhookEndpoint, actor: str) -> None:
    """Enable a disabled endpoint again: it is sent the events from now on; audited."""
    _checked_url(endpoint.url)
    endpoint.is_enabled = True
    endpoint.disabled_at = endpoint.disabled_reason = endpoint.failing_since = None
    endpoint.consecutive_failures = 0
    record(actor, "webhooks.enabled", f"webhook:{endpoint.id}")
    db.session.flush()


def endpoints_of(organization: Organization) -> list[WebhookEndpoint]:
    """An organization's endpoints, oldest first."""
    return list(
        db.session.execute(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.organization_id == organization.id)
            .order_by(WebhookEndpoint.id)
        ).scalars()
    )


def endpoint_of(organization: Organization, endpoint_id: int) -> WebhookEndpoint | None:
    """One of the organization's endpoints (None for anyone else's)."""
    found = db.session.get(WebhookEndpoint, endpoint_id)
    return found if found is not None and found.organization_id == organization.id else None


def recent_deliveries(organization: Organization, limit: int = LOG_SHOWN) -> list[WebhookDelivery]:
    """The organization's newest deliveries, newest first (the delivery log)."""
    return list(
        db.session.execute(
            select(WebhookDelivery)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookEndpoint.organization_id == organization.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
            .limit(limit)
        ).scalars()
    )
