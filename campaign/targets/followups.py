"""After delivery: asking writers whether their officials replied, and counting the answers."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from campaign import clock
from campaign.campaigns.models import Campaign
from campaign.campaigns.translations import CampaignInLanguage, in_language
from campaign.database import insert
from campaign.extensions import db
from campaign.i18n import current_language, link_values
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature, SignatureStatus
from campaign.signing.supporters import my_url
from campaign.targets.models import FollowUp, Letter, ReplyAnswer

ASK_AFTER = timedelta(days=14)
REMIND_AFTER = timedelta(days=7)  # after asking: 21 days after delivery
FOLLOWUP_KIND = "letter-followup"
REMINDER_KIND = "letter-reminder"
BATCH = 500
_SALT = "letter-replied"


def reply_token(signature_id: int) -> str:
    """The token in the link a writer uses to answer."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).dumps(signature_id)


def signature_of_token(token: str) -> int | None:
    """The signature a reply token names, or None if it was altered."""
    try:
        payload = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT).loads(token)
    except BadSignature:
        return None
    return payload if isinstance(payload, int) and not isinstance(payload, bool) else None


def ask_for_replies(now: datetime | None = None) -> int:
    """Ask writers whose letters left 14 days ago, remind at 21 those who did not answer (one committed
    batch); return how many."""
    now = now or clock.now()
    sent_at = mail.sent_at_of(Letter.outbox_id)
    # A letter that bounced later was not delivered: a writer whose letters all bounced is not asked.
    delivered = (
        select(Letter.signature_id, Letter.campaign_id)
        .where(Letter.outbox_id.is_not(None), sent_at.is_not(None), Letter.bounced_at.is_(None))
        .group_by(Letter.signature_id, Letter.campaign_id)
        .having(func.min(sent_at) <= now - ASK_AFTER)
    )
    unasked = delivered.where(
        ~select(FollowUp.signature_id).where(FollowUp.signature_id == Letter.signature_id).exists()
    )
    asked = 0
    for signature_id, campaign_id in db.session.execute(unasked.limit(BATCH)).all():
        inserted = db.session.execute(
            insert(FollowUp)
            .values(signature_id=signature_id, campaign_id=campaign_id, asked_at=now)
            .on_conflict_do_nothing(index_elements=["signature_id"])
            .returning(FollowUp.signature_id)
        ).scalar()
        if inserted is not None:
            asked += _queue_question(signature_id, now, is_reminder=False)
    reminders = db.session.execute(
        select(FollowUp)
        .where(
            FollowUp.answer.is_(None), FollowUp.reminded_at.is_(None), FollowUp.asked_at <= now - REMIND_AFTER
        )
        .limit(BATCH)
    ).scalars()
    for followup in reminders:
        followup.reminded_at = now
        asked += _queue_question(followup.signature_id, now, is_reminder=True)
    db.session.commit()
    return asked


def _queue_question(signature_id: int, now: datetime, *, is_reminder: bool) -> int:
    """Owe the writer the question (or its one reminder); 1 if newly owed."""
    queued = mail.owe(
        kind=REMINDER_KIND if is_reminder else FOLLOWUP_KIND,
        dedupe_key=f"{FOLLOWUP_KIND}:{signature_id}:{'reminder' if is_reminder else 'ask'}",
        ref_id=signature_id,
        now=now,
    )
    return 0 if queued is None else 1


def _compose_question(row: OutboxMessage) -> mail.Composed | None:
    """Ask a writer whether their officials replied, written from the sealed signature.

    Written in the language they signed in, quoting the campaign's title as
    they read it (its translation, else its own), its links opening the pages
    in that language.
    """
    signature = db.session.get(Signature, row.ref_id)
    if signature is None or signature.status != SignatureStatus.VALIDATED or signature.sealed is None:
        return None
    if signature.person is None:
        return None
    language = signature.language
    campaign = in_language(db.session.get_one(Campaign, signature.campaign_id), language)
    personal = signature.personal
    answer_url = absolute_url("targets.replied", token=reply_token(signature.id), **link_values(language))
    with force_locale(language):
        return mail.Composed(
            recipient=mail.address(personal.given_name, personal.email),
            subject=gettext("Did your officials reply? %(title)s", title=campaign.title),
            body=render_template(
                "targets/mail/followup.txt",
                campaign=campaign,
                given_name=personal.given_name,
                is_reminder=row.kind == REMINDER_KIND,
                answer_url=answer_url,
                my_url=my_url(signature.person_id, language),
            ),
        )


def campaign_asked(signature_id: int) -> CampaignInLanguage | None:
    """The campaign a writer was asked about, if they were asked, in the language of the page asking."""
    followup = db.session.get(FollowUp, signature_id)
    if followup is None:
        return None
    return in_language(db.session.get_one(Campaign, followup.campaign_id), current_language())


def record_answer(signature_id: int, answer: ReplyAnswer) -> bool:
    """Record whether the writer's officials replied; False if we never asked them."""
    followup = db.session.get(FollowUp, signature_id)
    if followup is None:
        return False
    followup.answer = answer
    followup.answered_at = clock.now()
    return True


def reply_rates(campaign_id: int) -> dict[str, int]:
    """How many writers were asked, and how many answered yes or no, for the organizer."""
    rows = db.session.execute(
        select(FollowUp.answer, func.count())
        .where(FollowUp.campaign_id == campaign_id)
        .group_by(FollowUp.answer)
    ).all()
    answers = {str(answer) if answer else "unanswered": int(count) for answer, count in rows}
    return {"asked": sum(answers.values()), "yes": answers.get("yes", 0), "no": answers.get("no", 0)}


mail.register_kind(FOLLOWUP_KIND, compose=_compose_question)
mail.register_kind(REMINDER_KIND, compose=_compose_question)
