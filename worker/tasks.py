"""Celery tasks: thin, named, idempotent. They take ids and call domain code."""

from __future__ import annotations

import functools

from celery import shared_task
from flask import current_app
from sqlalchemy.exc import OperationalError

from campaign import dispatch, task_names
from campaign.builder import endings
from campaign.counts import fold, reconcile
from campaign.exports import files as export_files
from campaign.exports import writer as export_writer
from campaign.ledger import heads as ledger
from campaign.mail import bounces
from campaign.mail import sending as mail
from campaign.moderation import invalidation, trending
from campaign.privacy import retention
from campaign.signing import reminders
from campaign.targets import digests, followups
from campaign.updates import sending as updates
from campaign.webhooks import delivery as webhooks

# A database that is briefly away (a failover, a busy SQLite) is worth
# retrying; anything else is a bug and must show up as a failed task.
TRANSIENT = (OperationalError,)
RETRY = {"autoretry_for": TRANSIENT, "retry_backoff": True, "max_retries": 5}


@shared_task(name=task_names.MAIL_PUMP, **RETRY)
def pump_outbox() -> int:
    """Send what the outbox owes now, over one connection, each message at most once."""
    config = current_app.config
    return mail.pump(batch=config["OUTBOX_PUMP_BATCH"], seconds=config["OUTBOX_PUMP_SECONDS"])


@shared_task(name=task_names.MAIL_SWEEP_OUTBOX, **RETRY)
def sweep_outbox() -> int:
    """Hand the broker the messages still owed; reclaim those stuck mid-send."""
    return mail.sweep()


@shared_task(name=task_names.MAIL_READ_BOUNCES, **RETRY)
def read_bounces() -> int:
    """Act on the bounces and complaints in the bounce mailbox, each once; return how many were read."""
    return bounces.read_mailbox(current_app.config["BOUNCE_READ_BATCH"])


@shared_task(name=task_names.FOLD_SIGNATURES, **RETRY)
def fold_signatures() -> int:
    """Fold changed signatures into the counters until none is left (each batch commits)."""
    batch = current_app.config["COUNTS_FOLD_BATCH"]
    step = functools.partial(fold.fold_signatures, batch)
    return dispatch.drain(step, full=batch, seconds=None, task_name=task_names.FOLD_SIGNATURES)


@shared_task(name=task_names.PUBLISH_LEDGER_HEADS, **RETRY)
def publish_ledger_heads() -> int:
    """Sign and publish a head for every campaign whose ledger changed; return how many."""
    return ledger.publish_heads()


@shared_task(name=task_names.RECONCILE_COUNTS, **RETRY)
def reconcile_counts() -> int:
    """Recount the campaigns that changed since last night and repair any drift; return how many drifted."""
    return len(reconcile.reconcile())


@shared_task(name=task_names.SEND_LETTER_DIGESTS, **RETRY)
def send_letter_digests() -> int:
    """Owe today's digest to each official whose digest campaigns have letters waiting."""
    return digests.send_digests()


@shared_task(name=task_names.ASK_FOR_REPLIES, **RETRY)
def ask_for_replies() -> int:
    """Ask writers whether their officials replied, 14 days after delivery (reminding at 21)."""
    return followups.ask_for_replies()


@shared_task(name=task_names.TELL_OF_ENDED_CAMPAIGNS, **RETRY)
def tell_of_ended_campaigns() -> int:
    """Ask the organizers of each campaign that ended lately without an outcome to tell what came of it."""
    return endings.tell_organizers_of_ended_campaigns()


@shared_task(name=task_names.REMIND_UNCONFIRMED, **RETRY)
def remind_unconfirmed() -> int:
    """Owe one reminder to each supporter who left a signature unconfirmed a day ago (as the rules allow)."""
    return reminders.remind_unconfirmed()


@shared_task(name=task_names.RUN_EXPORT, **RETRY)
def run_export(export_id: int) -> str:
    """Write one requested export's file, unless it was written already."""
    return str(export_writer.run_export(export_id))


@shared_task(name=task_names.EXPIRE_EXPORTS, **RETRY)
def expire_exports() -> int:
    """Delete the files of exports past their time."""
    return export_files.expire_exports()


@shared_task(name=task_names.FAIL_ABANDONED_EXPORTS, **RETRY)
def fail_abandoned_exports() -> int:
    """Fail exports whose worker died (or that ran past their limit) and remove their files."""
    return export_files.fail_abandoned_exports()


@shared_task(name=task_names.QUEUE_UPDATE, **RETRY)
def queue_update(update_id: int) -> int:
    """Queue an update's outbox rows for its signers, a batch per transaction; safe to run twice."""
    return updates.queue_update(update_id)


@shared_task(name=task_names.RESUME_UPDATES, **RETRY)
def resume_updates() -> int:
    """Hand the broker again any update left sending without progress (a lost task)."""
    return updates.resume_stalled()


@shared_task(name=task_names.APPLY_RETENTION, **RETRY)
def apply_retention() -> dict[str, int]:
    """Delete unconfirmed signatures, clear old hashes and sent mail, anonymise ended campaigns."""
    return retention.run().as_dict()


@shared_task(name=task_names.REPORT_TRENDING, **RETRY)
def report_trending() -> int:
    """Record the last hour's signatures trending by address range or domain, email staff; return groups."""
    report = trending.report_last_hour()
    return 0 if report is None else len(report.groups)


@shared_task(name=task_names.COUNT_INVALIDATION, **RETRY)
def count_invalidation(job_id: int) -> int | None:
    """Count what a bulk invalidation's criteria match (its dry run), once."""
    return invalidation.count_job(job_id)


@shared_task(name=task_names.RUN_INVALIDATION, **RETRY)
def run_invalidation(job_id: int) -> int:
    """Invalidate what a counted bulk invalidation matches, a batch per transaction."""
    return invalidation.run_job(job_id)


@shared_task(name=task_names.WEBHOOKS_PUMP, **RETRY)
def pump_webhooks() -> int:
    """Post what the webhooks' outbox owes now, each event at most once marked delivered."""
    config = current_app.config
    return webhooks.pump(batch=config["WEBHOOK_PUMP_BATCH"], seconds=config["WEBHOOK_PUMP_SECONDS"])


@shared_task(name=task_names.WEBHOOKS_SWEEP, **RETRY)
def sweep_webhooks() -> int:
    """Hand the broker the webhook deliveries due; reclaim those a stopped worker left sending."""
    return webhooks.sweep()
