"""The webhooks summary of the organization page: each endpoint, its state, its newest deliveries.

For the organization's owners only (the webhooks page, with the full log, is theirs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import LazyString
from sqlalchemy import select

from campaign.accounts.models import MemberRole, Membership, Organization, User
from campaign.extensions import db
from campaign.webhooks import reasons, service
from campaign.webhooks.forms import EVENT_LABELS
from campaign.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

# The newest deliveries shown of each endpoint.
SHOWN = 3


@dataclass(frozen=True)
class DeliveryLine:
    """One delivery as the summary says it: which event, its outcome, when."""

    event: LazyString | str
    status: DeliveryStatus
    # Why it is not delivered (yet), in the page's language; empty if nothing went wrong.
    reason: str
    response_code: int | None
    at: datetime


@dataclass(frozen=True)
class EndpointSummary:
    """An endpoint, why it is off if it is, and its newest deliveries."""

    endpoint: WebhookEndpoint
    disabled_reason: str
    deliveries: list[DeliveryLine]


def summary_for(user: User, organization: Organization) -> list[EndpointSummary] | None:
    """The summary for an owner of the organization; None for anyone else (members, staff)."""
    found = db.session.get(Membership, (organization.id, user.id))
    if found is None or found.role != MemberRole.OWNER:
        return None
    return [
        EndpointSummary(endpoint, reasons.describe(endpoint.disabled_reason), _newest(endpoint))
        for endpoint in service.endpoints_of(organization)
    ]


def _newest(endpoint: WebhookEndpoint) -> list[DeliveryLine]:
    """The endpoint's newest deliveries, newest first."""
    rows = db.session.execute(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
        .limit(SHOWN)
    ).scalars()
    return [
        DeliveryLine(
            EVENT_LABELS.get(row.event, row.event),
            row.status,
            reasons.describe(row.last_error),
            row.response_code,
            row.delivered_at or row.created_at,
        )
        for row in rows
    ]
