"""Letters to officials: routing, writing them once, pacing their delivery, and bounces."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import gettext
from sqlalchemy import delete, func, select, update

from campaign import clock
from campaign.campaigns.models import Campaign
from campaign.database import insert
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature, SignatureStatus
from campaign.targets import copies, letters
from campaign.targets.models import (
    DeliveryMode,
    Letter,
    LetterCampaign,
    LetterSchedule,
    LetterTarget,
    Official,
    ReplyConsent,
    Targeting,
)
from campaign.webhooks.events import letters_sent

LETTER_KIND = "letter"
DIGEST_KIND = "letter-digest"
BOUNCE_NOTICE_KIND = "letter-bounce"
# Outbox kinds that carry letters to officials, whose refusal marks the address bad.
LETTER_KINDS = frozenset({LETTER_KIND, DIGEST_KIND})
BAD_ADDRESS = "not sent: the official's address refused mail permanently"
# A paragraph this many other signers sent word for word (ignoring case,
# punctuation and spacing), or nearly so (NEAR_COPY_PERCENT alike, see
# campaign/targets/copies.py), is held for review instead of sent.
COPY_THRESHOLD = 5
# Letters from this many other signatures from one client address in an hour
# hold the next ones for review (a shared office address is possible, so hold, never drop).
ADDRESS_LIMIT = 20


def letter_settings(campaign_id: int) -> LetterCampaign | None:
    """The letter settings of a campaign, if it is a configured letter campaign."""
    return db.session.get(LetterCampaign, campaign_id)


def officials_for(settings: LetterCampaign, country: str | None, region: str | None) -> list[Official]:
    """The officials a signer from this country and region writes to; bad addresses left out."""
    query = select(Official).where(Official.is_email_bad.is_(False))
    if settings.targeting == Targeting.FIXED:
        query = query.join(LetterTarget, LetterTarget.official_id == Official.id).where(
            LetterTarget.campaign_id == settings.campaign_id
        )
    else:
        if not country:
            return []
        # A signer in CA-ON writes to Ontario's officials and to Canada's national ones.
        national = Official.region.is_(None)
        query = query.where(
            Official.country == country,
            national if region is None else national | (Official.region == region),
        )
    return list(db.session.execute(query.order_by(Official.region.is_(None), Official.id)).scalars())


def record_reply_consent(signature_id: int) -> None:
    """Remember that the signer agreed to be the Reply-To of their letters."""
    db.session.execute(
        insert(ReplyConsent)
        .values(signature_id=signature_id, created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["signature_id"])
    )


def has_reply_consent(signature_id: int) -> bool:
    """Tell whether the signer agreed to receive the officials' replies."""
    return db.session.get(ReplyConsent, signature_id) is not None


def write_letters(signature_id: int, now: datetime | None = None) -> int:
    """Owe one letter per official of a confirmed signature, each once; return how many are new."""
    signature = db.session.get_one(Signature, signature_id)
    settings = letter_settings(signature.campaign_id)
    if settings is None:
        return 0
    now = now or clock.now()
    # Only the hash of the paragraph, and only if the signer's words go into the letter.
    digest = signature.message_hash if settings.is_signer_editable else None
    is_held = _should_hold(signature, digest, now)
    written = 0
    for official in sorted(officials_for(settings, signature.country, signature.region), key=lambda o: o.id):
        letter_id = db.session.execute(
            insert(Letter)
            .values(
                campaign_id=signature.campaign_id,
                signature_id=signature_id,
                official_id=official.id,
                message_hash=digest,
                is_held=is_held,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["signature_id", "official_id"])
            .returning(Letter.id)
        ).scalar()
        if letter_id is None:
            continue  # written before: never twice
        written += 1
        if not is_held and settings.delivery == DeliveryMode.INDIVIDUAL:
            _queue_letter(db.session.get_one(Letter, letter_id), settings, now)
    return written


def _should_hold(signature: Signature, digest: str | None, now: datetime) -> bool:
    """Tell whether a signature's letters wait for review: a much-copied paragraph, or an address's burst."""
    return _is_copy(signature, digest) or _is_burst(signature, now)


def _is_copy(signature: Signature, digest: str | None) -> bool:
    """Tell whether too many other signers already sent this paragraph, word for word or nearly."""
    if digest is None:
        return False
    exact = set(
        db.session.execute(
            select(Letter.signature_id)
            .where(
                Letter.campaign_id == signature.campaign_id,
                Letter.message_hash == digest,
                Letter.signature_id != signature.id,
            )
            .distinct()
            .limit(COPY_THRESHOLD)
        ).scalars()
    )
    if len(exact) >= COPY_THRESHOLD:
        return True
    return len(exact | copies.near_copies(signature.id, signature.campaign_id)) >= COPY_THRESHOLD


def remember_words(signature_id: int, campaign_id: int, message: str | None) -> None:
    """Keep what finds near copies of a new signature's own words (a keyed MinHash, never the words)."""
    copies.remember(signature_id, campaign_id, message)


def _is_burst(signature: Signature, now: datetime) -> bool:
    """Tell whether too many of this campaign's letters came from the signer's address in the last hour."""
    others = db.session.execute(
        select(func.count(func.distinct(Letter.signature_id)))
        .join(Signature, Signature.id == Letter.signature_id)
        .where(
            Letter.campaign_id == signature.campaign_id,
            Letter.created_at >= now - timedelta(hours=1),
            Signature.client_hash == signature.client_hash,
            Signature.id != signature.id,
        )
    ).scalar_one()
    return int(others) >= ADDRESS_LIMIT


def release_held(letter_id: int, now: datetime | None = None) -> bool:
    """Send a letter held for review after all (staff decided it is genuine); False if it was not held."""
    letter = db.session.get(Letter, letter_id)
    if letter is None or not letter.is_held or letter.outbox_id is not None:
        return False
    letter.is_held = False
    settings = db.session.get_one(LetterCampaign, letter.campaign_id)
    if settings.delivery == DeliveryMode.INDIVIDUAL and not letter.official.is_email_bad:
        _queue_letter(letter, settings, now or clock.now())
    return True


def sending_moment(settings: LetterCampaign, moment: datetime) -> datetime:
    """The first moment at or after `moment` inside the campaign's daily sending window (UTC)."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if moment.hour < settings.window_start_hour:
        return midnight + timedelta(hours=settings.window_start_hour)
    if moment.hour >= settings.window_end_hour:
        return midnight + timedelta(days=1, hours=settings.window_start_hour)
    return moment


def _next_slot(settings: LetterCampaign, official_id: int, now: datetime) -> datetime:
    """Take the next sending slot for this official: evenly spaced under the hourly cap, in the window.

    The slot belongs to the official, not to the campaign: three campaigns
    writing to one minister still reach them at one campaign's pace.
    """
    keys = {"official_id": official_id}
    db.session.execute(
        insert(LetterSchedule)
        .values(**keys, next_slot_at=now)
        .on_conflict_do_nothing(index_elements=["official_id"])
    )
    # The row lock makes concurrent confirmations take slots one after another.
    schedule = db.session.execute(
        select(LetterSchedule).filter_by(**keys).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    slot = sending_moment(settings, max(schedule.next_slot_at, now))
    schedule.next_slot_at = slot + timedelta(seconds=3600 / settings.hourly_cap)
    return slot


def _queue_letter(letter: Letter, settings: LetterCampaign, now: datetime) -> None:
    """Owe one letter at the official's next slot; the worker writes it when the slot comes."""
    letter.outbox_id = mail.owe(
        kind=LETTER_KIND,
        dedupe_key=f"letter:{letter.signature_id}:{letter.official_id}",
        ref_id=letter.id,
        due_at=_next_slot(settings, letter.official_id, now),
        now=now,
    )


@dataclass(frozen=True)
class WrittenLetter:
    """A letter as it is sent: its subject and body, and the name it is sent on behalf of."""

    subject: str
    body: str
    signer_name: str


def write_letter(letter: Letter) -> WrittenLetter:
    """Write a letter from the sealed signature (only where the key is held)."""
    settings = db.session.get_one(LetterCampaign, letter.campaign_id)
    values = letters.signer_values(letter.signature, settings)
    # In the language the supporter signed in where the campaign's letter is translated into it.
    subject, body = letters.letter_text(
        settings,
        {**values, **letters.official_values(letter.official)},
        current_app.config["BASE_URL"],
        letter.signature.language,
    )
    return WrittenLetter(mail.header_safe(subject)[:300], body, values["name"])


def _compose_letter(row: OutboxMessage) -> mail.Composed | None:
    """One letter, from the signer's name at our address; not sent if the signature stopped counting."""
    letter = db.session.get(Letter, row.ref_id)
    if letter is None or letter.signature.status != SignatureStatus.VALIDATED or letter.official.is_email_bad:
        return None
    if letter.signature.sealed is None:
        return None  # anonymised: it still counts, but there is no one left to write on behalf of
    written = write_letter(letter)
    # The signer's address is shown to the official only with their consent.
    reply_to = (
        mail.address(written.signer_name, letter.signature.personal.email)
        if has_reply_consent(letter.signature_id)
        else None
    )
    return mail.Composed(
        recipient=mail.address(letter.official.name, letter.official.email),
        subject=written.subject,
        body=written.body,
        sender_name=written.signer_name,
        reply_to=reply_to,
    )


def record_bounce(row: OutboxMessage) -> None:
    """A letter was refused for good: mark the address bad, stop what is owed to it, tell the organizer."""
    now = clock.now()
    bounced = db.session.execute(select(Letter).where(Letter.outbox_id == row.id)).scalars().all()
    for letter in bounced:
        letter.bounced_at = now
    for official_id in sorted({letter.official_id for letter in bounced}):
        official = mark_address_bad(official_id, now)
        for campaign_id in sorted(
            {letter.campaign_id for letter in bounced if letter.official_id == official_id}
        ):
            _notify_contact(db.session.get_one(Campaign, campaign_id), official, now)


def stop_letters(campaign_id: int, reason: str) -> int:
    """Never send the campaign's letters still waiting in the outbox (it was taken down); return how many."""
    waiting = select(Letter.outbox_id).where(Letter.campaign_id == campaign_id, Letter.outbox_id.is_not(None))
    return mail.cancel(waiting, reason)


def mark_address_bad(official_id: int, now: datetime | None = None) -> Official:
    """Mark an official's address (and every official sharing it) bad; fail the letters still owed to it."""
    now = now or clock.now()
    official = db.session.get_one(Official, official_id)
    sharing = select(Official.id).where(Official.email == official.email)
    db.session.execute(
        update(Official)
        .where(Official.id.in_(sharing), Official.is_email_bad.is_(False))
        .values(is_email_bad=True, bad_since=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    owed = select(Letter.outbox_id).where(Letter.official_id.in_(sharing), Letter.outbox_id.is_not(None))
    mail.cancel(owed, BAD_ADDRESS)
    db.session.refresh(official)
    return official


def _notify_contact(campaign: Campaign, official: Official, now: datetime) -> None:
    """Tell the campaign's contact, once per bad address, that an official's address refuses mail."""
    if not campaign.contact_email:
        return
    since = (official.bad_since or now).strftime("%Y%m%d%H%M%S")
    mail.write(
        kind=BOUNCE_NOTICE_KIND,
        dedupe_key=f"letter-bounce:{campaign.id}:{official.id}:{since}",
        recipient=campaign.contact_email,
        subject=gettext(
            "Letters to %(name)s cannot be delivered: %(title)s", name=official.name, title=campaign.title
        ),
        body=render_template("targets/mail/bounce_notice.txt", campaign=campaign, official=official),
        now=now,
    )


@dataclass
class OfficialDelivery:
    """How one official's letters of a campaign are doing."""

    official: Official
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, state: str) -> int:
        """How many letters are in this state: queued, held, sent, failed or bounced."""
        return self.counts.get(state, 0)


DELIVERY_STATES = ("queued", "held", "sent", "failed", "bounced")


def delivery_status(campaign_id: int) -> list[OfficialDelivery]:
    """Per official, how many of the campaign's letters are queued, held, sent, failed or bounced."""
    letters = select(
        Letter.official_id,
        Letter.is_held,
        Letter.bounced_at.is_not(None).label("is_bounced"),
        mail.state_of(Letter.outbox_id).label("state"),
    ).where(Letter.campaign_id == campaign_id)
    each = letters.subquery()
    grouped = each.c.official_id, each.c.is_held, each.c.is_bounced, each.c.state
    rows = db.session.execute(select(*grouped, func.count()).group_by(*grouped)).all()
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for official_id, is_held, is_bounced, mail_state, number in rows:
        state = _state(bool(is_held), bool(is_bounced), mail_state)
        counts[official_id][state] = counts[official_id].get(state, 0) + int(number)
    officials = db.session.execute(
        select(Official).where(Official.id.in_(list(counts))).order_by(Official.name)
    ).scalars()
    return [OfficialDelivery(official, counts[official.id]) for official in officials]


def _state(is_held: bool, is_bounced: bool, mail_state: str | None) -> str:
    """The delivery state of one letter, as an organizer names it (its message's, once it has one)."""
    if is_bounced:
        return "bounced"
    if mail_state is None:
        return "held" if is_held else "queued"
    return mail_state


def settings_by_slug(slug: str) -> LetterCampaign | None:
    """The letter settings of the campaign with this slug, if it is a letter campaign."""
    return db.session.execute(
        select(LetterCampaign)
        .join(Campaign, Campaign.id == LetterCampaign.campaign_id)
        .where(Campaign.slug == slug)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Outreach:
    """One signer's letters in OSDI's terms: the subject, the message and the officials targeted."""

    signature_id: int
    subject: str
    message: str
    targets: list[Official]


def outreach_of(signature_id: int) -> Outreach | None:
    """The outreach a signature made (its first letter's text and every official), if it wrote any."""
    written = (
        db.session.execute(select(Letter).where(Letter.signature_id == signature_id).order_by(Letter.id))
        .scalars()
        .all()
    )
    if not written:
        return None
    first = write_letter(written[0])
    return Outreach(signature_id, first.subject, first.body, [letter.official for letter in written])


def total_outreaches(campaign_id: int) -> int:
    """How many signers wrote letters on a campaign (OSDI advocacy_campaign total_outreaches)."""
    return int(
        db.session.execute(
            select(func.count(func.distinct(Letter.signature_id))).where(Letter.campaign_id == campaign_id)
        ).scalar_one()
    )


mail.register_kind(LETTER_KIND, compose=_compose_letter, on_refused=record_bounce, on_sent=letters_sent)


def forget_signatures(signature_ids: list[int], reason: str) -> None:
    """Signatures withdrawn or erased: their letters still owed are never sent, their consents dropped."""
    # A digest carries other writers' letters too: it leaves these out when it is written.
    owed = select(Letter.outbox_id).where(Letter.signature_id.in_(signature_ids))
    mail.cancel(owed, reason, kinds=[LETTER_KIND])
    unsent = delete(Letter).where(Letter.signature_id.in_(signature_ids), Letter.outbox_id.is_(None))
    db.session.execute(unsent)
    db.session.execute(delete(ReplyConsent).where(ReplyConsent.signature_id.in_(signature_ids)))
    copies.forget(signature_ids)
