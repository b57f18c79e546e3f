"""Celery tasks: thin, named, idempotent. They take ids and call domain code."""

from __future__ import annotations

import functools

from celery import shared_task
from flask import current_app
from sqlalchemy.exc import OperationalError

from campaign import dispatch
from campaign.counts import service as counts
from campaign.exports import service as exports
from campaign.ledger import service as ledger
from campaign.mail import service as mail
from campaign.moderation import invalidation, trending
from campaign.privacy import retention
from campaign.targets import digests, followups
from campaign.updates import service as updates
from campaign.webhooks import service as webhooks
from campaign.webhooks.events import PUMP_TASK as WEBHOOKS_PUMP_TASK

# A database that is briefly away (a failover, a busy SQLite) is worth
# retrying; anything else is a bug and must show up as a failed task.
TRANSIENT = (OperationalError,)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": True, "max_retries": 5}


@shared_task(name=mail.PUMP_TASK, **RETRY)
def pump_outbox() -> int:
    """Send what the outbox owes now, over one connection, each message at most once."""
    config = current_app.config
    return mail.pump(batch=config["OUTBOX_PUMP_BATCH"], seconds=config["OUTBOX_PUMP_SECONDS"])


@shared_task(name="mail.sweep_outbox", **RETRY)
def sweep_outbox() -> int:
    """Hand the broker the messages still owed; reclaim those stuck mid-send."""
    return mail.sweep()


@shared_task(name=counts.FOLD_TASK, **RETRY)
def fold_signatures() -> int:
    """Fold changed signatures into the counters until none is left (each batch commits)."""
    batch = current_app.config["COUNTS_FOLD_BATCH"]
    step = functools.partial(counts.fold_signatures, batch)
    return dispatch.drain(step, full=batch, seconds=None, task_name=counts.FOLD_TASK)


@shared_task(name="ledger.publish_heads", **RETRY)
def publish_ledger_heads() -> int:
    """Sign and publish a head for every campaign whose ledger changed; return how many."""
    return ledger.publish_heads()


@shared_task(name="counts.reconcile", **RETRY)
def reconcile_counts() -> int:
    """Recount the campaigns that changed since last night and repair any drift; return how many drifted."""
    return len(counts.reconcile())


@shared_task(name="letters.send_digests", **RETRY)
def send_letter_digests() -> int:
    """Owe today's digest to each official whose digest campaigns have letters waiting."""
    return digests.send_digests()


@shared_task(name="letters.ask_for_replies", **RETRY)
def ask_for_replies() -> int:
    """Ask writers whether their officials replied, 14 days after delivery (reminding at 21)."""
    return followups.ask_for_replies()


@shared_task(name=exports.RUN_TASK, **RETRY)
def run_export(export_id: int) -> str:
    """Write one requested export's file, unless it was written already."""
    return str(exports.run_export(export_id))


@shared_task(name="exports.expire", **RETRY)
def expire_exports() -> int:
    """Delete the files of exports past their time."""
    return exports.expire_exports()


@shared_task(name="exports.fail_abandoned", **RETRY)
def fail_abandoned_exports() -> int:
    """Fail exports whose worker died (or that ran past their limit) and remove their files."""
    return exports.fail_abandoned_exports()


@shared_task(name=updates.QUEUE_TASK, **RETRY)
def queue_update(update_id: int) -> int:
    """Queue an update's outbox rows for its signers, a batch per transaction; safe to run twice."""
    return updates.queue_update(update_id)


@shared_task(name="updates.resume_sending", **RETRY)
def resume_updates() -> int:
    """Hand the broker again any update left sending without progress (a lost task)."""
    return updates.resume_stalled()


@shared_task(name="privacy.retention", **RETRY)
def apply_retention() -> dict[str, int]:
    """Delete unconfirmed signatures, clear old hashes and sent mail, anonymise ended campaigns."""
    return retention.run().as_dict()


@shared_task(name=trending.REPORT_TASK, **RETRY)
def report_trending() -> int:
    """Record the last hour's signatures trending by address range or domain, email staff; return groups."""
    report = trending.report_last_hour()
    return 0 if report is None else len(report.groups)


@shared_task(name=invalidation.COUNT_TASK, **RETRY)
def count_invalidation(job_id: int) -> int | None:
    """Count what a bulk invalidation's criteria match (its dry run), once."""
    return invalidation.count_job(job_id)


@shared_task(name=invalidation.RUN_TASK, **RETRY)
def run_invalidation(job_id: int) -> int:
    """Invalidate what a counted bulk invalidation matches, a batch per transaction."""
    return invalidation.run_job(job_id)


@shared_task(name=WEBHOOKS_PUMP_TASK, **RETRY)
def pump_webhooks() -> int:
    """Post what the webhooks' outbox owes now, each event at most once marked delivered."""
    config = current_app.config
    return webhooks.pump(batch=config["WEBHOOK_PUMP_BATCH"], seconds=config["WEBHOOK_PUMP_SECONDS"])


@shared_task(name="webhooks.sweep", **RETRY)
def sweep_webhooks() -> int:
    """Hand the broker the webhook deliveries due; reclaim those a stopped worker left sending."""
    return webhooks.sweep()
