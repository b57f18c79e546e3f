"""An endpoint's failures: counted, and the endpoint turned off (its owners told) once it failed too
often or for too long."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import func, select, update

from campaign import clock
from campaign.accounts.models import MemberRole, Membership, Organization, User
from campaign.audit.service import record
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.webhooks import reasons
from campaign.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

DISABLED_KIND = "webhook-disabled"
# Who the audit log says acted, where no person did.
SYSTEM_ACTOR = "system:webhooks"


def count_failure(endpoint_id: int) -> None:
    """One more failure of the endpoint; disable it once it failed too often or for too long."""
    config = current_app.config
    now = clock.now()
    failures, since = db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(
            consecutive_failures=WebhookEndpoint.consecutive_failures + 1,
            failing_since=func.coalesce(WebhookEndpoint.failing_since, now),
        )
        .returning(WebhookEndpoint.consecutive_failures, WebhookEndpoint.failing_since)
        .execution_options(synchronize_session=False)
    ).one()
    too_many = failures >= config["WEBHOOK_DISABLE_AFTER_FAILURES"]
    too_long = since is not None and since <= now - timedelta(hours=config["WEBHOOK_DISABLE_AFTER_HOURS"])
    if too_many or too_long:
        reason = (
            reasons.stored(reasons.FAILED_IN_A_ROW, failures)
            if too_many
            else reasons.stored(reasons.FAILING_SINCE, f"{since:%Y-%m-%d %H:%M}")
        )
        disable(endpoint_id, reason, now)


def disable(endpoint_id: int, reason: str, now: datetime | None = None) -> bool:
    """Disable an endpoint (once): what it is owed fails, its organization's owners are emailed."""
    now = now or clock.now()
    disabled = db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.is_enabled.is_(True))
        .values(is_enabled=False, disabled_at=now, disabled_reason=reason[: reasons.STORED_MAX])
        .returning(WebhookEndpoint.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if disabled is None:
        return False  # another pump disabled it just now
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.FAILED, last_error=reasons.ENDPOINT_OFF)
        .execution_options(synchronize_session=False)
    )
    record(SYSTEM_ACTOR, "webhooks.disabled", f"webhook:{endpoint_id}", reason=reason)
    _tell_owners(db.session.get_one(WebhookEndpoint, endpoint_id), reason, now)
    log.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)
    return True


def _tell_owners(endpoint: WebhookEndpoint, reason: str, now: datetime) -> None:
    """Email each owner of the endpoint's organization that it was disabled."""
    db.session.refresh(endpoint)
    organization = db.session.get_one(Organization, endpoint.organization_id)
    owners = db.session.execute(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organization_id == organization.id,
            Membership.role == MemberRole.OWNER,
            User.is_active.is_(True),
        )
        .order_by(User.id)
    ).scalars()
    for owner in owners:
        mail.queue(
            kind=DISABLED_KIND,
            dedupe_key=f"webhook-disabled:{endpoint.id}:{now:%Y%m%d%H%M%S}:{owner.id}",
            recipient=mail.address(owner.display_name, owner.email),
            subject=gettext("A webhook of %(name)s was turned off", name=organization.name),
            template="webhook_disabled.txt",
            user=owner,
            organization=organization,
            endpoint=endpoint,
            # Written in the mail's language when its template is rendered.
            reason=reasons.described(reason),
            manage_url=absolute_url("webhooks.endpoints", organization_id=organization.id),
        )
