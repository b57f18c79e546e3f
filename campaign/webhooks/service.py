"""Webhooks: registering endpoints, and delivering what the outbox owes them, each event at most once.

Deliveries are claimed and sent like the mail outbox (campaign/mail/service.py,
"How a message is claimed"): a pump holds a claim lock on a connection of its
own, claims a few due rows at a time (pending -> sending, attempts + 1) and
commits each outcome on its own; a sweep puts back what a dead worker left
sending and hands due rows to a pump. Failures are retried with an
exponential backoff; an endpoint failing for too long is disabled and its
organization's owners are told by email.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext
from sqlalchemy import delete, func, select, text, update

from campaign import clock, dispatch
from campaign.accounts.models import MemberRole, Membership, Organization, User
from campaign.api import resources
from campaign.audit.service import record
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.mail.service import Holder
from campaign.privacy import vault
from campaign.signing.models import Signature
from campaign.webhooks import transport
from campaign.webhooks.events import PUMP_TASK
from campaign.webhooks.models import (
    EVENTS,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)

log = logging.getLogger(__name__)

# What sealed secrets are (campaign.privacy.vault), and how a secret starts: names, not secrets.
SECRET_PURPOSE = "webhook-secret"  # noqa: S105
SECRET_PREFIX = "whsec_"  # noqa: S105
DISABLED_KIND = "webhook-disabled"
SYSTEM_ACTOR = "system:webhooks"
ENDPOINTS_PER_ORGANIZATION = 10
URL_MAX = 2000
# The delivery log an owner sees: the newest this many.
LOG_SHOWN = 50
BACKOFF_MAX = timedelta(hours=1)
# The claim locks are mail's (the same namespace, keyed by the pump's session): see Holder.
_CLAIM_LOCKS = 0x636C6D
# The CASE makes PostgreSQL test the status first: otherwise it may try a lock for every row of
# the table and fill the server's shared lock table (see the same query in campaign/mail/service.py).
_ORPHANED = text("""
SELECT id FROM webhook_deliveries
WHERE status = 'sending'
  AND CASE WHEN status = 'sending'
      THEN pg_try_advisory_xact_lock(CAST(:namespace AS integer), COALESCE(claim_key, id))
      ELSE false END
FOR UPDATE SKIP LOCKED
""")


class InvalidEndpoint(Exception):
    """An endpoint that cannot be registered; the message says why, for the owner."""


# Registering


def _allowed() -> list[transport.Network]:
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
        transport.check(url, _allowed())
    except transport.Refused as refused:
        raise InvalidEndpoint(gettext("This URL cannot be used: %(reason)s.", reason=str(refused))) from None
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


# What is sent


def event_id(event: str, ref_id: int) -> str:
    """The event's id, the same on every retry and for every endpoint: what a receiver de-duplicates by."""
    return "evt_" + hashlib.sha256(f"{event}:{ref_id}".encode()).hexdigest()[:32]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Campaign-Signature header: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>"> under the secret."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def payload(delivery: WebhookDelivery) -> dict[str, Any]:
    """The event in OSDI's shapes, written now (in the worker, which holds the keys).

    A signature (osdi:signature; on a letter campaign osdi:outreach) with its
    links; its comment, own words and the person's name and addresses only if
    the organization lets its members export signers (the API's rule);
    otherwise ids and links only.
    """
    campaign = db.session.get_one(Campaign, delivery.campaign_id)
    organization = (
        db.session.get(Organization, campaign.organization_id) if campaign.organization_id else None
    )
    is_personal = organization is not None and organization.allows_member_exports
    is_letter = campaign.kind == CampaignKind.LETTER
    signature = db.session.get(Signature, delivery.ref_id)
    shown = _signature(signature, delivery, is_letter, is_personal)
    return {
        "id": event_id(delivery.event, delivery.ref_id),
        "type": delivery.event,
        "created_date": resources.iso(delivery.occurred_at),
        "origin_system": resources.ORIGIN_SYSTEM,
        ("osdi:outreach" if is_letter else "osdi:signature"): shown,
    }


def _signature(
    signature: Signature | None, delivery: WebhookDelivery, is_letter: bool, is_personal: bool
) -> dict[str, Any]:
    """The signature in the API's shape, without what is personal unless it may be sent."""
    if signature is None:
        # Deleted on schedule (never confirmed): its ids and links are all there is.
        return {"identifiers": resources.identifiers(delivery.ref_id), "_links": _parent(delivery, is_letter)}
    shown = resources.signature(signature)
    if not is_personal:
        shown.pop("comments", None)
        shown.pop("message", None)
        return shown
    if signature.sealed is not None and signature.person_id is not None:
        shown["person"] = _person(signature)
    return shown


def _parent(delivery: WebhookDelivery, is_letter: bool) -> dict[str, Any]:
    """The link to the petition or advocacy campaign of an event."""
    if is_letter:
        return resources.links(
            osdi_advocacy_campaign=absolute_url("api.advocacy_campaign", campaign_id=delivery.campaign_id)
        )
    return resources.links(osdi_petition=absolute_url("api.petition", petition_id=delivery.campaign_id))


def _person(signature: Signature) -> dict[str, Any]:
    """The signer as OSDI writes a person, from what this signature holds (sealed)."""
    personal = signature.personal
    address: dict[str, Any] = {"primary": True, "country": signature.country}
    if personal.postal_code:
        address["postal_code"] = personal.postal_code
    if signature.region:
        address["region"] = resources.region_part(signature.region)
    person: dict[str, Any] = {"identifiers": resources.identifiers(signature.person_id or 0)}
    person.update(
        {
            key: value
            for key, value in (("given_name", personal.given_name), ("family_name", personal.family_name))
            if value
        }
    )
    if personal.email:
        person["email_addresses"] = [{"address": personal.email, "primary": True}]
    person["postal_addresses"] = [address]
    person["_links"] = resources.links(self=absolute_url("api.person", person_id=signature.person_id))
    return person


# Delivering


def pump(batch: int, seconds: float) -> int:
    """Send what is due, claiming deliveries just before sending them, for at most `seconds`; how many."""
    deadline = time.monotonic() + seconds
    handled = 0
    holder = Holder()
    session = db.session()
    # Each outcome is committed on its own and nobody else changes a claimed row.
    session.expire_on_commit = False
    try:
        reclaim_orphans()
        while time.monotonic() < deadline:
            rows = _claim_some(holder, batch)
            if not rows:
                return handled
            for row in rows:
                _send_claimed(row)
                handled += 1
    finally:
        session.expire_on_commit = True
        holder.close()
    dispatch.publish(PUMP_TASK, ())  # time ran out with rows still due: another pump takes over
    return handled


def _claim_some(holder: Holder, batch: int) -> list[WebhookDelivery]:
    """Claim the next few due deliveries of enabled endpoints for this pump; oldest due first."""
    now = clock.now()
    due = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.is_enabled.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(max(batch, 1))
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    claimed = (
        db.session.execute(
            update(WebhookDelivery)
            # The status again: SQLite has no SKIP LOCKED (it writes one transaction at a time).
            .where(WebhookDelivery.id.in_(due), WebhookDelivery.status == DeliveryStatus.PENDING)
            .values(
                status=DeliveryStatus.SENDING,
                claimed_at=now,
                claim_key=holder.key,
                attempts=WebhookDelivery.attempts + 1,
            )
            .returning(WebhookDelivery.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    db.session.commit()
    if not claimed:
        return []
    return list(
        db.session.execute(
            select(WebhookDelivery)
            .where(WebhookDelivery.id.in_(claimed))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .execution_options(populate_existing=True)
        ).scalars()
    )


def reclaim_orphans() -> int:
    """Put back what dead workers left sending (PostgreSQL: no live claim lock); return how many."""
    if db.session.get_bind().dialect.name != "postgresql":
        return 0
    orphans = db.session.execute(_ORPHANED, {"namespace": _CLAIM_LOCKS}).scalars().all()
    if orphans:
        _put_back(WebhookDelivery.id.in_(orphans))
        log.warning("webhooks: %d deliveries left sending by a stopped worker put back", len(orphans))
    db.session.commit()  # also ends the transaction that held the orphans' locks
    return len(orphans)


def _put_back(which: Any) -> None:
    """Make these sending deliveries pending again (sent again: the receiver de-duplicates by event id)."""
    db.session.execute(
        update(WebhookDelivery)
        .where(which, WebhookDelivery.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.PENDING)
        .execution_options(synchronize_session=False)
    )


def _send_claimed(row: WebhookDelivery) -> DeliveryStatus:
    """Send one claimed delivery and record the outcome, committed before the next one."""
    endpoint = row.endpoint
    # Read afresh: an owner may have replaced its secret, or another pump turned it off, since.
    db.session.refresh(endpoint)
    config = current_app.config
    now = clock.now()
    if not endpoint.is_enabled:
        return _finish(row, DeliveryStatus.FAILED, "not sent: the endpoint is disabled")
    if row.occurred_at < now - timedelta(hours=config["WEBHOOK_RETRY_HOURS"]):
        return _finish(row, DeliveryStatus.FAILED, "not sent: retried for WEBHOOK_RETRY_HOURS")
    try:
        target = transport.check(endpoint.url, _allowed())  # again: a name may resolve elsewhere now
        body = json.dumps(payload(row), ensure_ascii=False, separators=(",", ":")).encode()
        secret = vault.open_values(endpoint.secret_sealed, purpose=SECRET_PURPOSE)[0]
        headers = {
            "X-Campaign-Signature": sign(secret, int(time.time()), body),
            "X-Campaign-Event-Id": event_id(row.event, row.ref_id),
            "X-Campaign-Event": row.event,
        }
        _audit_personal(row, body)
        answer = transport.post(target, body, headers, float(config["WEBHOOK_TIMEOUT_SECONDS"]))
    except vault.CannotOpen as error:
        # A worker without the key (a deployment in progress): another may hold it; not the endpoint's fault.
        log.error("webhook delivery %s cannot be written here: %s", row.id, error)
        return _retry(row, "cannot be written by this worker", None, counts_against_endpoint=False)
    except transport.Refused as refused:
        return _retry(row, f"refused: {refused}", None)
    except OSError as error:
        return _retry(row, f"no answer: {error or type(error).__name__}", None)
    if not answer.is_success:
        return _retry(row, f"answered {answer.status}", answer.status)
    return _delivered(row, answer.status)


def _audit_personal(row: WebhookDelivery, body: bytes) -> None:
    """Record a delivery that carries a person's data, as every export of personal data is."""
    if b'"person":' in body or b'"comments":' in body or b'"message":' in body:
        record(
            SYSTEM_ACTOR,
            "webhooks.signers_sent",
            f"webhook:{row.endpoint_id}",
            signature=row.ref_id,
            event=row.event,
        )


def _delivered(row: WebhookDelivery, status: int) -> DeliveryStatus:
    """Mark it delivered (only from sending: at most once) and the endpoint healthy again."""
    now = clock.now()
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == row.id, WebhookDelivery.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.DELIVERED, delivered_at=now, response_code=status, last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == row.endpoint_id)
        .values(consecutive_failures=0, failing_since=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    log.info("webhook delivery %s: delivered", row.id)
    return DeliveryStatus.DELIVERED


def _finish(row: WebhookDelivery, status: DeliveryStatus, error: str | None) -> DeliveryStatus:
    """Record a final outcome other than delivered."""
    row.status = status
    row.last_error = error
    db.session.commit()
    return status


def backoff(attempts: int) -> timedelta:
    """WEBHOOK_RETRY_SECONDS after the first failure, doubling each time, at most an hour."""
    first = current_app.config["WEBHOOK_RETRY_SECONDS"]
    return min(timedelta(seconds=first * 2 ** min(attempts - 1, 20)), BACKOFF_MAX)


def _retry(
    row: WebhookDelivery, error: str, status: int | None, *, counts_against_endpoint: bool = True
) -> DeliveryStatus:
    """Put the delivery back with an exponential backoff; count the failure against its endpoint."""
    row.status = DeliveryStatus.PENDING
    row.next_attempt_at = clock.now() + backoff(row.attempts)
    row.last_error = error[:300]
    row.response_code = status
    if counts_against_endpoint:
        _count_failure(row.endpoint_id)
    db.session.commit()
    log.info("webhook delivery %s: retry (%s)", row.id, error)
    return DeliveryStatus.PENDING


def _count_failure(endpoint_id: int) -> None:
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
            f"{failures} failed attempts in a row"
            if too_many
            else f"failing since {since:%Y-%m-%d %H:%M} UTC"
        )
        disable(endpoint_id, reason, now)


def disable(endpoint_id: int, reason: str, now: datetime | None = None) -> bool:
    """Disable an endpoint (once): what it is owed fails, its organization's owners are emailed."""
    now = now or clock.now()
    disabled = db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.is_enabled.is_(True))
        .values(is_enabled=False, disabled_at=now, disabled_reason=reason[:300])
        .returning(WebhookEndpoint.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if disabled is None:
        return False  # another pump disabled it just now
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.FAILED, last_error="not sent: the endpoint was disabled")
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
            reason=reason,
            manage_url=absolute_url("webhooks.endpoints", organization_id=organization.id),
        )


def sweep(limit: int = 1000) -> int:
    """Put back deliveries whose worker is gone, drop old log rows, start a pump for what is due;
    return how many are due."""
    config = current_app.config
    now = clock.now()
    reclaim_orphans()
    # SQLite's (and any) row still sending after this long: its worker is surely gone.
    _put_back(WebhookDelivery.claimed_at < now - timedelta(seconds=config["OUTBOX_STUCK_SECONDS"]))
    # The log keeps WEBHOOK_LOG_DAYS of deliveries done with.
    db.session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status.in_([DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]),
            WebhookDelivery.created_at < now - timedelta(days=config["WEBHOOK_LOG_DAYS"]),
        )
    )
    db.session.commit()
    owed = db.session.execute(
        select(func.count()).select_from(
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                WebhookEndpoint.is_enabled.is_(True),
            )
            .limit(limit)
            .subquery()
        )
    ).scalar_one()
    if owed and not dispatch.publish(PUMP_TASK, ()):
        return 0
    return int(owed)
