"""Bulk invalidation of fraudulent signatures: a dry-run count first, then the run, audited.

Staff give criteria (campaign.moderation.criteria); a worker counts what they
match, up to the newest signature at that moment; staff then invalidate that
many. The run goes a batch per transaction, each batch setting the
signatures invalidated with the reason "fraud" and asking for a fold, which
subtracts the ones that counted; the page shows its progress. Its start and
its end are written in the audit log: who, the criteria, how many.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import current_app
from flask_babel import gettext
from sqlalchemy import Row, func, select, update

from campaign import clock, dispatch, task_names
from campaign.audit.service import record
from campaign.counts.fold import FOLD_TASK
from campaign.extensions import db
from campaign.moderation.criteria import Criteria
from campaign.moderation.models import InvalidationJob, InvalidationStatus
from campaign.privacy import vault
from campaign.signing.models import PERSONAL_FIELDS, SEALED_PURPOSE, Signature, SignatureStatus

log = logging.getLogger(__name__)

COUNT_TASK = task_names.COUNT_INVALIDATION
RUN_TASK = task_names.RUN_INVALIDATION
REMOVAL_REASON = "fraud"
_EMAIL = PERSONAL_FIELDS.index("email")


class InvalidationError(ValueError):
    """The invalidation cannot go ahead as asked; the message says why."""


def request_count(criteria: Criteria, *, actor: str, user_id: int | None) -> InvalidationJob:
    """Record an invalidation to be counted; a worker counts what it matches after the commit."""
    job = new_job(criteria, actor=actor, user_id=user_id)
    dispatch.defer(db.session(), COUNT_TASK, job.id)
    return job


def new_job(criteria: Criteria, *, actor: str, user_id: int | None) -> InvalidationJob:
    """Create the job's row in the caller's transaction, waiting to be counted."""
    if criteria.is_empty:  # the web and the command line check this too; the service never runs without
        raise InvalidationError(gettext("An invalidation needs at least one criterion."))
    job = InvalidationJob(
        requested_by=actor,
        user_id=user_id,
        criteria=criteria.as_json(),
        status=InvalidationStatus.COUNTING,
        invalidated=0,
        created_at=clock.now(),
    )
    db.session.add(job)
    db.session.flush()
    return job


def count_job(job_id: int) -> int | None:
    """The dry run: count what the job's criteria match, once; return the count (None: no such job)."""
    job = db.session.get(InvalidationJob, job_id)
    if job is None or job.status != InvalidationStatus.COUNTING:
        return None if job is None else job.matched
    criteria = Criteria.from_json(job.criteria)
    # The run stops at the newest signature counted here: a flood still arriving
    # is not invalidated unseen (staff count again to take it in).
    last_id = int(db.session.execute(select(func.max(Signature.id))).scalar() or 0)
    try:
        matched, counted = count_matching(criteria, last_id)
    except Exception:
        log.exception("counting invalidation %s failed", job_id)
        _fail(job_id, "The count failed; please ask for it again.")
        raise
    db.session.execute(
        update(InvalidationJob)
        .where(InvalidationJob.id == job_id, InvalidationJob.status == InvalidationStatus.COUNTING)
        .values(
            status=InvalidationStatus.COUNTED,
            matched=matched,
            matched_counted=counted,
            last_signature_id=last_id,
            counted_at=clock.now(),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return matched


def count_matching(criteria: Criteria, last_id: int) -> tuple[int, int]:
    """How many signatures up to last_id match, and how many of those count now (a pattern opens addresses).

    Each one that counts will stop counting: the fold appends a `remove` to
    its campaign's public ledger, which staff are told before they run it.
    """
    matcher = criteria.email_matcher()
    columns = select(Signature.sealed, Signature.is_counted)
    candidates = criteria.filter(columns).where(Signature.id <= last_id)
    if matcher is None:
        found = candidates.subquery()
        matched, counted = db.session.execute(
            select(func.count(), func.count().filter(found.c.is_counted)).select_from(found)
        ).one()
        return int(matched), int(counted)
    rows = db.session.execute(candidates.execution_options(yield_per=2000)).all()
    flags = [is_counted for sealed, is_counted in rows if sealed is not None and matcher(email_of(sealed))]
    return len(flags), sum(1 for is_counted in flags if is_counted)


def email_of(sealed: bytes) -> str:
    """The address in a signature's seal (opened here, in the worker; the rest is dropped at once)."""
    return vault.open_values(sealed, purpose=SEALED_PURPOSE)[_EMAIL]


def start(job_id: int, *, actor: str, defer: bool = True) -> InvalidationJob:
    """Queue a counted invalidation to run and record who started it, the criteria and the count."""
    job = db.session.get(InvalidationJob, job_id)
    if job is None:
        raise InvalidationError(gettext("There is no such invalidation."))
    if job.status != InvalidationStatus.COUNTED:
        raise InvalidationError(gettext("This invalidation was started already, or is not counted yet."))
    if not job.matched:
        raise InvalidationError(
            gettext("No signature matches these criteria: there is nothing to invalidate.")
        )
    # Claimed by one UPDATE, so a second press of the button cannot start it twice.
    claimed = db.session.execute(
        update(InvalidationJob)
        .where(InvalidationJob.id == job_id, InvalidationJob.status == InvalidationStatus.COUNTED)
        .values(status=InvalidationStatus.QUEUED, started_by=actor)
        .execution_options(synchronize_session=False)
    )
    if not getattr(claimed, "rowcount", 0):
        raise InvalidationError(gettext("This invalidation was started already."))
    criteria = Criteria.from_json(job.criteria)
    record(
        actor,
        "signatures.invalidation_started",
        f"invalidation:{job_id}",
        criteria=criteria.described(),
        matched=job.matched,
    )
    if defer:
        dispatch.defer(db.session(), RUN_TASK, job_id)
    db.session.refresh(job)
    return job


def run_job(job_id: int) -> int:
    """Invalidate what the job matches, a batch per transaction; return how many it invalidated.

    Safe to run twice: a row already invalidated no longer matches, and a run
    redelivered after a worker died carries on where it stopped.
    """
    claimed = db.session.execute(
        update(InvalidationJob)
        .where(
            InvalidationJob.id == job_id,
            InvalidationJob.status.in_([InvalidationStatus.QUEUED, InvalidationStatus.RUNNING]),
        )
        .values(
            status=InvalidationStatus.RUNNING,
            started_at=func.coalesce(InvalidationJob.started_at, clock.now()),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    job = db.session.get_one(InvalidationJob, job_id)
    if not getattr(claimed, "rowcount", 0):
        return job.invalidated
    try:
        _run_batches(job_id, Criteria.from_json(job.criteria), job.last_signature_id or 0)
    except Exception:
        log.exception("invalidation %s failed", job_id)
        _fail(job_id, "The invalidation stopped part way; what it did stands. Please count and run it again.")
        raise
    return _finish(job_id)


def _run_batches(job_id: int, criteria: Criteria, last_id: int) -> None:
    """Walk the candidates in id order, a batch at a time, invalidating those that match."""
    batch = current_app.config["INVALIDATION_BATCH"]
    after = 0
    while True:
        rows = db.session.execute(
            criteria.filter(select(Signature.id, Signature.sealed))
            .where(Signature.id > after, Signature.id <= last_id)
            .order_by(Signature.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        after = int(rows[-1].id)
        changed = invalidate_batch(_matching_ids(rows, criteria), criteria)
        # The progress moves in the same transaction as the signatures: it never says more than was done.
        db.session.execute(
            update(InvalidationJob)
            .where(InvalidationJob.id == job_id)
            .values(invalidated=InvalidationJob.invalidated + changed)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def _matching_ids(rows: Sequence[Row[int, bytes | None]], criteria: Criteria) -> list[int]:
    """The ids among a batch of candidates whose address matches the pattern (all of them without one)."""
    matcher = criteria.email_matcher()
    if matcher is None:
        return [int(row.id) for row in rows]
    return [int(row.id) for row in rows if row.sealed is not None and matcher(email_of(row.sealed))]


def invalidate_batch(signature_ids: list[int], criteria: Criteria) -> int:
    """Invalidate these as fraud, if still in a status the criteria allow; the fold subtracts them."""
    if not signature_ids:
        return 0
    result = db.session.execute(
        update(Signature)
        .where(
            Signature.id.in_(signature_ids),
            Signature.status.in_([SignatureStatus(s) for s in criteria.statuses]),
        )
        .values(status=SignatureStatus.INVALIDATED, invalidated_at=clock.now(), removal_reason=REMOVAL_REASON)
        .execution_options(synchronize_session=False)
    )
    changed = int(getattr(result, "rowcount", 0) or 0)
    if changed:
        dispatch.defer(db.session(), FOLD_TASK)
    return changed


def _finish(job_id: int) -> int:
    """Mark the run done and record how many it invalidated."""
    db.session.execute(
        update(InvalidationJob)
        .where(InvalidationJob.id == job_id, InvalidationJob.status == InvalidationStatus.RUNNING)
        .values(status=InvalidationStatus.DONE, finished_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    job = db.session.get_one(InvalidationJob, job_id)
    db.session.refresh(job)
    record(
        job.started_by or job.requested_by,
        "signatures.invalidated",
        f"invalidation:{job_id}",
        invalidated=job.invalidated,
        matched=job.matched,
    )
    db.session.commit()
    return job.invalidated


def _fail(job_id: int, error: str) -> None:
    """Record that the job stopped, keeping what progress it made."""
    db.session.rollback()
    db.session.execute(
        update(InvalidationJob)
        .where(InvalidationJob.id == job_id)
        .values(status=InvalidationStatus.FAILED, error=error, finished_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def recent_jobs(limit: int = 50) -> list[InvalidationJob]:
    """The latest invalidations, newest first."""
    return list(
        db.session.execute(select(InvalidationJob).order_by(InvalidationJob.id.desc()).limit(limit)).scalars()
    )
