"""What an approved change does: the page's new words, new letters, a translation, an outcome, an
update sent, the campaign closed; each recorded under the approver's name."""

from __future__ import annotations

from flask_babel import gettext

from campaign import i18n
from campaign.accounts.models import User
from campaign.audit.service import record
from campaign.builder import letters, lifecycle
from campaign.builder.change_rules import ChangeError, actor
from campaign.builder.models import ChangeKind, ChangeRequest
from campaign.campaigns import translations
from campaign.campaigns.models import Campaign, OutcomeKind
from campaign.extensions import db
from campaign.updates import sending as update_sending
from campaign.updates.models import Update


def apply(change: ChangeRequest, campaign: Campaign, user: User) -> None:
    """Do what an approved change says, recorded under the approver's name."""
    payload = change.payload
    subject = f"campaign:{campaign.id}"
    if change.kind == ChangeKind.OUTCOME:
        _publish_outcome(campaign, OutcomeKind(payload["kind"]), payload["text"], change, user)
    elif change.kind == ChangeKind.TEXT:
        lifecycle.revise(campaign, payload["title"], payload["summary"], payload["body_markdown"])
        record(actor(user), "campaign.text_changed", subject, change=change.id)
    elif change.kind == ChangeKind.LETTER:
        letters.revise(campaign, payload["subject_template"], payload["body_template"])
        record(actor(user), "campaign.letter_changed", subject, change=change.id)
    elif change.kind == ChangeKind.TRANSLATION:
        try:
            translations.save(
                campaign, payload["language"], translations.TranslationDraft.of_payload(payload)
            )
        except translations.TranslationError as problem:
            raise ChangeError(str(problem)) from None
        record(
            actor(user),
            "campaign.translation_changed",
            subject,
            change=change.id,
            language=payload["language"],
        )
    elif change.kind == ChangeKind.UPDATE:
        _send_update(change)
    elif change.kind == ChangeKind.CLOSE:
        lifecycle.close(campaign)
        record(actor(user), "campaign.closed", subject)


def _publish_outcome(
    campaign: Campaign, kind: OutcomeKind, text: str, change: ChangeRequest, user: User
) -> None:
    """Publish the outcome on the page; the first one is also emailed to the signers who opted in."""
    is_first = campaign.outcome_at is None
    published = lifecycle.publish_outcome(campaign, kind, text)
    record(actor(user), "campaign.outcome_published", f"campaign:{campaign.id}", kind=str(kind))
    if is_first:
        # The signers who opted in hear of the outcome once; a correction only changes the page.
        author = db.session.get(User, change.proposed_by_id) if change.proposed_by_id else None
        # Its subject is stored once for every signer: written in the campaign's own language.
        with i18n.writing_in(campaign.language):
            subject = f"{published.heading}: {campaign.title}"
        update_sending.announce(campaign, subject, published.text_markdown, author)


def _send_update(change: ChangeRequest) -> None:
    """Start sending the approved update, exactly as it was when proposed."""
    draft = db.session.get(Update, change.update_id) if change.update_id else None
    if draft is None or (draft.subject, draft.body_markdown) != (
        change.payload.get("subject"),
        change.payload.get("body_markdown"),
    ):
        raise ChangeError(gettext("The update is not the one proposed any more; propose it again."))
    if not update_sending.start_sending(draft):
        raise ChangeError(gettext("This update is already being sent."))
