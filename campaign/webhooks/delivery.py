"""Delivering what the webhooks' outbox owes, each event at most once.

Deliveries are claimed and sent like the mail outbox (campaign.claims): a pump
holds a claim lock on a connection of its own, claims a few due rows at a time
(pending -> sending, attempts + 1) and commits each outcome on its own; a
sweep puts back what a dead worker left sending and hands due rows to a pump.
Failures are retried with an exponential backoff; an endpoint failing for too
long is turned off (campaign.webhooks.failures). A failure is recorded only
under the claim that sent it: a row put back after OUTBOX_STUCK_SECONDS while
its post was still running, and claimed again, is the new claim's to record;
a 2xx from either marks it delivered, once, and it is not sent again.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, delete, update

from campaign import claims, clock, dispatch
from campaign.audit.service import record
from campaign.extensions import db
from campaign.privacy import vault
from campaign.webhooks import reasons, transport
from campaign.webhooks.events import PUMP_TASK
from campaign.webhooks.failures import SYSTEM_ACTOR, count_failure
from campaign.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from campaign.webhooks.payloads import carries_personal_data, event_id, payload, sign
from campaign.webhooks.service import SECRET_PURPOSE, allowed_networks

log = logging.getLogger(__name__)

DELIVERIES = claims.Outbox(WebhookDelivery, pending=DeliveryStatus.PENDING, sending=DeliveryStatus.SENDING)
BACKOFF_MAX = timedelta(hours=1)


def pump(batch: int, seconds: float) -> int:
    """Send what is due, claiming deliveries just before sending them, for at most `seconds`; how many."""

    def step(holder: claims.Holder) -> int:
        """Claim the next few due deliveries and send them; how many (none: nothing is due)."""
        rows = _claim_some(holder, batch)
        for row in rows:
            _send_claimed(row)
        return len(rows)

    with claims.pumping() as holder:
        reclaim_orphans()
        # Time ran out with rows still due: another pump takes over.
        return dispatch.drain(lambda: step(holder), full=1, seconds=seconds, task_name=PUMP_TASK)


def _claim_some(holder: claims.Holder, batch: int) -> list[WebhookDelivery]:
    """Claim the next few due deliveries for this pump; oldest due first."""
    due = (
        _due(clock.now())
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(max(batch, 1))
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    return claims.claim(DELIVERIES, due, holder)


def _due(before: datetime) -> Select[int]:
    """The ids of the pending deliveries due before this moment.

    Those of a disabled endpoint are claimed too, and failed unsent
    (_send_claimed): an event written while a pump was turning its endpoint
    off would otherwise stay pending for good.
    """
    return DELIVERIES.due(before)


def reclaim_orphans() -> int:
    """Put back what dead workers left sending (PostgreSQL: no live claim lock); return how many."""
    return claims.reclaim(DELIVERIES, _put_back_orphans, "deliveries")


def _put_back_orphans(ids: Sequence[int]) -> None:
    """Put back these deliveries, whose pump is gone."""
    _put_back(WebhookDelivery.id.in_(ids))


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
        return _finish(row, DeliveryStatus.FAILED, reasons.ENDPOINT_OFF)
    if row.occurred_at < now - timedelta(hours=config["WEBHOOK_RETRY_HOURS"]):
        return _finish(row, DeliveryStatus.FAILED, reasons.RETRIES_OVER)
    try:
        target = transport.check(endpoint.url, allowed_networks())  # again: a name may resolve elsewhere now
        document = payload(row)
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        secret = vault.open_values(endpoint.secret_sealed, purpose=SECRET_PURPOSE)[0]
        headers = {
            "X-Campaign-Signature": sign(secret, int(time.time()), body),
            "X-Campaign-Event-Id": event_id(row.event, row.ref_id),
            "X-Campaign-Event": row.event,
        }
        if carries_personal_data(document):
            _audit_personal(row)
        answer = transport.post(target, body, headers, float(config["WEBHOOK_TIMEOUT_SECONDS"]))
    except vault.CannotOpen as error:
        # A worker without the key (a deployment in progress): another may hold it; not the endpoint's fault.
        log.error("webhook delivery %s cannot be written here: %s", row.id, error)
        return _retry(row, reasons.NO_KEY, None, counts_against_endpoint=False)
    except transport.Refused as refused:
        return _retry(row, refused.stored, None)
    except OSError as error:
        # What went wrong, named by its class (ConnectionRefusedError, TimeoutError, RemoteDisconnected):
        # a technical name the owner can look up, where the message would be in the server's language.
        return _retry(row, reasons.stored(reasons.NO_ANSWER, type(error.__cause__ or error).__name__), None)
    if not answer.is_success:
        return _retry(row, reasons.stored(reasons.HTTP_STATUS, answer.status), answer.status)
    return _delivered(row, answer.status)


def _audit_personal(row: WebhookDelivery) -> None:
    """Record a delivery that carries a person's data, as every export of personal data is.

    Recorded before the post and committed with its outcome, whatever it is: the data may have
    reached the endpoint even when no answer came back.
    """
    record(
        SYSTEM_ACTOR,
        "webhooks.signers_sent",
        f"webhook:{row.endpoint_id}",
        signature=row.ref_id,
        event=row.event,
    )


def _still_claimed(row: WebhookDelivery) -> ColumnElement[bool]:
    """The delivery is still sending under this pump's claim.

    Each claim adds one to `attempts` (campaign.claims), so the attempts a pump
    claimed it with name its claim: a row put back after OUTBOX_STUCK_SECONDS
    while its post was still running, then claimed again, is no longer ours.
    """
    return and_(
        WebhookDelivery.id == row.id,
        WebhookDelivery.status == DeliveryStatus.SENDING,
        WebhookDelivery.attempts == row.attempts,
    )


def _delivered(row: WebhookDelivery, status: int) -> DeliveryStatus:
    """Mark it delivered (at most once) and the endpoint healthy again.

    From sending or pending, whoever's claim it is now: the endpoint took the
    event, so a row put back while this post was running must not be sent
    again, and a second pump sending it meanwhile records nothing over it
    (_retry and _finish change only a row still under their own claim).
    """
    now = clock.now()
    db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == row.id,
            WebhookDelivery.status.in_([DeliveryStatus.SENDING, DeliveryStatus.PENDING]),
        )
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
    """Record a final outcome other than delivered (only while the row is still under this claim)."""
    finished = db.session.execute(
        update(WebhookDelivery)
        .where(_still_claimed(row))
        .values(status=status, last_error=error)
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    db.session.commit()
    if finished is None:
        log.warning("webhook delivery %s: claim taken over; %s not recorded", row.id, status)
    return status


def backoff(attempts: int) -> timedelta:
    """WEBHOOK_RETRY_SECONDS after the first failure, doubling each time, at most an hour."""
    first = current_app.config["WEBHOOK_RETRY_SECONDS"]
    return min(timedelta(seconds=first * 2 ** min(attempts - 1, 20)), BACKOFF_MAX)


def _retry(
    row: WebhookDelivery, error: str, status: int | None, *, counts_against_endpoint: bool = True
) -> DeliveryStatus:
    """Put the delivery back with an exponential backoff; count the failure against its endpoint.

    Only while the row is still under this claim: put back and claimed again
    (or delivered) meanwhile, its outcome is another pump's to record.
    """
    retried = db.session.execute(
        update(WebhookDelivery)
        .where(_still_claimed(row))
        .values(
            status=DeliveryStatus.PENDING,
            next_attempt_at=clock.now() + backoff(row.attempts),
            last_error=error[: reasons.STORED_MAX],
            response_code=status,
        )
        .returning(WebhookDelivery.id)
        .execution_options(synchronize_session=False)
    ).scalar()
    if retried is not None and counts_against_endpoint:
        count_failure(row.endpoint_id)
    db.session.commit()
    if retried is None:
        log.warning(
            "webhook delivery %s: its claim was taken over; the failure (%s) not recorded", row.id, error
        )
    else:
        log.info("webhook delivery %s: retry (%s)", row.id, error)
    return DeliveryStatus.PENDING


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
    return claims.hand_over(_due(now), limit, PUMP_TASK)
