"""Sending an update: fixing its recipients, then queueing them a batch at a time through the outbox.

An update reaches the signers of its campaign who agreed to hear from it
(`has_email_opt_in`), whose signature was validated when sending began, and
who have not unsubscribed. Queueing walks those signers in person-id order
(a keyset cursor kept on the update), a batch per transaction, so the list is
never in memory; each signer gets one outbox row whose dedupe key names the
update and the person, so a second run queues nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.engine import Row

from campaign import clock, dispatch, task_names
from campaign.accounts.models import User
from campaign.campaigns.models import Campaign
from campaign.database import insert
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.signing.models import Signature, SignatureStatus
from campaign.updates.messages import UPDATE_KIND
from campaign.updates.models import Unsubscribe, Update, UpdateMessage, UpdateStatus
from campaign.updates.service import create_draft

QUEUE_TASK = task_names.QUEUE_UPDATE
# Signers queued per transaction, and seconds one task spends before handing over.
BATCH = 500
SECONDS = 20.0
# An update still sending with no progress for this long is handed to the broker again.
STALLED_SECONDS = 120


def _recipients(campaign_id: int, as_of: datetime) -> Select[int | None, int]:
    """Opted-in signers validated by `as_of` who have not unsubscribed, in person-id order."""
    unsubscribed = exists().where(
        Unsubscribe.campaign_id == Signature.campaign_id, Unsubscribe.person_id == Signature.person_id
    )
    return (
        select(Signature.person_id, Signature.id)
        .where(
            Signature.campaign_id == campaign_id,
            Signature.person_id.is_not(None),
            Signature.status == SignatureStatus.VALIDATED,
            Signature.has_email_opt_in.is_(True),
            Signature.validated_at <= as_of,
            ~unsubscribed,
        )
        .order_by(Signature.person_id)
    )


def count_recipients(campaign_id: int, as_of: datetime | None = None) -> int:
    """How many signers an update sent now would reach."""
    query = _recipients(campaign_id, as_of or clock.now()).order_by(None).subquery()
    return int(db.session.execute(select(func.count()).select_from(query)).scalar_one())


def start_sending(draft: Update) -> bool:
    """Fix the recipients of a draft and have a worker queue it after the commit; False if already started."""
    now = clock.now()
    started = db.session.execute(
        update(Update)
        .where(Update.id == draft.id, Update.status == UpdateStatus.DRAFT)
        .values(status=UpdateStatus.SENDING, recipients_as_of=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not getattr(started, "rowcount", 0):
        return False
    db.session.refresh(draft)
    draft.total_recipients = count_recipients(draft.campaign_id, now)
    db.session.flush()
    dispatch.defer(db.session(), QUEUE_TASK, draft.id)
    return True


def announce(campaign: Campaign, subject: str, body_markdown: str, author: User | None = None) -> Update:
    """Send the campaign's signers a message at once (e.g. its outcome); the caller commits."""
    draft = create_draft(campaign, author, subject, body_markdown)
    start_sending(draft)
    return draft


def queue_update(update_id: int, batch: int = BATCH, seconds: float = SECONDS) -> int:
    """Queue an update's remaining signers, a committed batch at a time, for at most `seconds`.

    Returns how many outbox rows were written. When time runs out with
    signers left, the task is handed to the broker again.
    """
    written = 0

    def step() -> int:
        """One batch, committed; how many signers it handled."""
        nonlocal written
        handled, queued = queue_batch(update_id, batch)
        db.session.commit()
        written += queued
        return handled

    dispatch.drain(step, full=batch, seconds=seconds, task_name=QUEUE_TASK, args=(update_id,))
    return written


def queue_batch(update_id: int, batch: int) -> tuple[int, int]:
    """Queue the next batch of an update's signers; return (signers handled, outbox rows written)."""
    # The row lock orders this batch with any unsubscribe of the same campaign
    # (see campaign.updates.service.unsubscribe): the signers are read after the lock is held.
    sending = db.session.execute(
        select(Update)
        .where(Update.id == update_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if sending is None or sending.status != UpdateStatus.SENDING or sending.recipients_as_of is None:
        return 0, 0
    signers = db.session.execute(
        _recipients(sending.campaign_id, sending.recipients_as_of)
        .where(Signature.person_id > sending.last_person_id)
        .limit(batch)
    ).all()
    queued = _write_messages(sending, signers)
    now = clock.now()
    if signers:
        sending.last_person_id = signers[-1].person_id
    sending.queued_count += queued
    sending.updated_at = now
    if len(signers) < batch:
        sending.status = UpdateStatus.SENT
        sending.finished_at = now
        sending.total_recipients = sending.queued_count
    db.session.flush()
    return len(signers), queued


def _write_messages(sending: Update, signers: Sequence[Row[int | None, int]]) -> int:
    """Owe one message per signer (none twice) and remember which row carries it to whom."""
    if not signers:
        return 0
    rows = []
    for person_id, signature_id in signers:
        outbox_id = mail.owe(
            kind=UPDATE_KIND, dedupe_key=f"update:{sending.id}:{person_id}", ref_id=signature_id
        )
        if outbox_id is not None:
            rows.append({"update_id": sending.id, "person_id": person_id, "outbox_id": outbox_id})
    if rows:
        db.session.execute(insert(UpdateMessage).values(rows).on_conflict_do_nothing())
    return len(rows)


def resume_stalled(now: datetime | None = None) -> int:
    """Hand the broker again every update left sending without progress; return how many."""
    before = (now or clock.now()) - timedelta(seconds=STALLED_SECONDS)
    stalled = (
        db.session.execute(
            select(Update.id).where(
                Update.status == UpdateStatus.SENDING,
                Update.updated_at < before,
            )
        )
        .scalars()
        .all()
    )
    for update_id in stalled:
        dispatch.publish(QUEUE_TASK, (update_id,))
    return len(stalled)
