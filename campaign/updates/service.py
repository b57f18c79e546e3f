"""Updates to signers: drafts written by organizers, and signers unsubscribing from them.

Sending a draft is campaign.updates.sending; each signer's copy is written
by campaign.updates.messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext
from sqlalchemy import select, update

from campaign import clock
from campaign.accounts.access import manageable_by
from campaign.accounts.models import User
from campaign.campaigns.models import Campaign
from campaign.database import insert
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.signing.models import Person, Signature
from campaign.updates.models import Unsubscribe, Update, UpdateMessage, UpdateStatus

# Why an owed update was not sent: kept in the outbox row's last_error.
CANCELLED = "not sent: the person unsubscribed"


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
