"""Updates to signers: drafts, queueing them a batch at a time through the outbox, unsubscribing.

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

from flask import render_template
from flask_babel import force_locale, gettext
from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.engine import Row

from campaign import clock, dispatch
from campaign.accounts.access import manageable_by
from campaign.accounts.models import Organization, User
from campaign.campaigns.models import Campaign
from campaign.campaigns.translations import CampaignInLanguage, in_language
from campaign.database import insert
from campaign.extensions import db
from campaign.i18n import link_values
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Person, Signature, SignatureStatus
from campaign.signing.supporters import my_url
from campaign.updates import links
from campaign.updates.models import Unsubscribe, Update, UpdateMessage, UpdateStatus
from campaign.updates.tokens import unsubscribe_token

QUEUE_TASK = "updates.queue_update"
UPDATE_KIND = "update"
# Why an owed update was not sent: kept in the outbox row's last_error.
CANCELLED = "not sent: the person unsubscribed"
# Signers queued per transaction, and seconds one task spends before handing over.
BATCH = 500
SECONDS = 20.0
# An update still sending with no progress for this long is handed to the broker again.
STALLED_SECONDS = 120


class UpdateError(ValueError):
    """The update cannot be changed or sent as asked; the message says why."""


def manageable_campaigns(user: User, limit: int = 200) -> Sequence[Campaign]:
    """The campaigns the user may manage, newest first (staff: all of them, up to the limit)."""
    newest_first = (Campaign.created_at.desc(), Campaign.id.desc())
    query = select(Campaign).where(manageable_by(user)).order_by(*newest_first).limit(limit)
    return db.session.execute(query).scalars().all()


def clean_text(value: str) -> str:
    """Keep line breaks and tabs, drop NUL and other control characters, use \\n for every line end."""
    unified = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in unified if ch in "\n\t" or ch.isprintable())


def create_draft(campaign: Campaign, author: User | None, subject: str, body_markdown: str) -> Update:
    """Record a new draft update of the campaign."""
    draft = Update(
        campaign_id=campaign.id,
        author_id=author.id if author else None,
        subject=mail.header_safe(subject)[:200],
        body_markdown=clean_text(body_markdown),
        status=UpdateStatus.DRAFT,
        queued_count=0,
        last_person_id=0,
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def edit_draft(draft: Update, subject: str, body_markdown: str) -> None:
    """Change a draft's subject and body; an update being sent or sent cannot change.

    (While its sending waits for approval the routes refuse too; an approval
    sends only the text that was proposed, see campaign.builder.changes.)
    """
    if draft.status != UpdateStatus.DRAFT:
        raise UpdateError(gettext("This update is already being sent and can no longer be changed."))
    draft.subject = mail.header_safe(subject)[:200]
    draft.body_markdown = clean_text(body_markdown)
    db.session.flush()


def updates_of(campaign_id: int, limit: int = 100) -> Sequence[Update]:
    """The campaign's updates, newest first."""
    return (
        db.session.execute(
            select(Update).where(Update.campaign_id == campaign_id).order_by(Update.id.desc()).limit(limit)
        )
        .scalars()
        .all()
    )


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
    # (see unsubscribe): the signers are read after the lock is held.
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


def sender_name(campaign: Campaign | CampaignInLanguage) -> str | None:
    """The From display name of the campaign's updates: its organization's name."""
    if campaign.organization_id is None:
        return None
    organization = db.session.get(Organization, campaign.organization_id)
    return organization.name if organization else None


def _compose_update(row: OutboxMessage) -> mail.Composed | None:
    """One signer's copy of an update, written from the sealed signature; not sent once they opted out."""
    carrier = db.session.execute(
        select(UpdateMessage).where(UpdateMessage.outbox_id == row.id)
    ).scalar_one_or_none()
    signature = db.session.get(Signature, row.ref_id)
    if (
        carrier is None
        or signature is None
        or signature.sealed is None
        or signature.status != SignatureStatus.VALIDATED
        or not signature.has_email_opt_in
        or signature.person is None
        or signature.person.email_stopped_at is not None
    ):
        return None
    sending = db.session.get_one(Update, carrier.update_id)
    language = signature.language
    # The campaign's title as the signer read it: its translation into their language, else its own.
    campaign = in_language(db.session.get_one(Campaign, sending.campaign_id), language)
    sender = sender_name(campaign)
    personal = signature.personal
    token = unsubscribe_token(campaign.id, carrier.person_id)
    link = absolute_url("updates.unsubscribe", token=token, **link_values(language))
    # The organizer's words stay as written; the letter around them is in the signer's language.
    with force_locale(language):
        return mail.Composed(
            recipient=mail.address(personal.name, personal.email),
            subject=sending.subject,
            body=email_body(
                sending,
                campaign,
                sender,
                personal.given_name,
                link,
                my_url(signature.person_id, language),
                language=language,
            ),
            sender_name=sender,
            list_unsubscribe=link,
        )


def email_body(
    sending: Update,
    campaign: Campaign | CampaignInLanguage,
    sender: str | None,
    given_name: str,
    link: str,
    my_link: str | None = None,
    *,
    language: str | None = None,
) -> str:
    """The plain-text email of an update to one signer (every link written out with its host)."""
    return render_template(
        "mail/update.txt",
        update=sending,
        body=links.mail_text(sending.body_markdown),
        campaign=campaign,
        sender=sender or campaign.title,
        given_name=given_name,
        unsubscribe_url=link,
        my_url=my_link,
        campaign_url=absolute_url("campaigns.show", slug=campaign.slug, **link_values(language)),
    )


def unsubscribe(campaign_id: int, person_id: int) -> bool:
    """Stop every further update of the campaign to the person, at once; False if nothing names them."""
    if db.session.get(Campaign, campaign_id) is None or db.session.get(Person, person_id) is None:
        return False
    db.session.execute(
        insert(Unsubscribe)
        .values(campaign_id=campaign_id, person_id=person_id, created_at=clock.now())
        .on_conflict_do_nothing()
    )
    db.session.execute(
        update(Signature)
        .where(Signature.campaign_id == campaign_id, Signature.person_id == person_id)
        .values(has_email_opt_in=False)
        .execution_options(synchronize_session=False)
    )
    # Wait for any batch being queued right now to commit, so that the rows
    # it wrote for this person are visible to the cancellation below; a batch
    # that starts after this waits for our commit and skips the person.
    db.session.execute(
        select(Update.id)
        .where(Update.campaign_id == campaign_id, Update.status == UpdateStatus.SENDING)
        .order_by(Update.id)
        .with_for_update()
    ).all()
    owed = (
        select(UpdateMessage.outbox_id)
        .join(Update, Update.id == UpdateMessage.update_id)
        .where(Update.campaign_id == campaign_id, UpdateMessage.person_id == person_id)
    )
    mail.cancel(owed, CANCELLED)
    db.session.flush()
    return True


def is_unsubscribed(campaign_id: int, person_id: int) -> bool:
    """Tell whether the person asked for no more updates from the campaign."""
    return db.session.get(Unsubscribe, (campaign_id, person_id)) is not None


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


mail.register_kind(UPDATE_KIND, compose=_compose_update)
