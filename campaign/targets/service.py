"""Writing letters to a signer's targets: routing, writing each letter once, holding suspect ones, stopping.

A confirmed signature owes one letter to each of its targets (the officials
its campaign addresses); campaign.targets.pacing spaces them out and
campaign.targets.messages writes them when they are sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from email_validator import EmailNotValidError
from flask_babel import gettext, ngettext
from sqlalchemy import delete, func, or_, select

from campaign import clock
from campaign.accounts.service import InvalidEmail, normalized_email
from campaign.audit.service import record
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.database import insert
from campaign.extensions import db
from campaign.i18n import current_language
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage, OutboxStatus
from campaign.signing.models import Signature, SignatureStatus
from campaign.targets import bounces, copies, directory, letters, pacing
from campaign.targets.directory import InvalidOfficial
from campaign.targets.messages import LETTER_KIND
from campaign.targets.models import (
    DeliveryMode,
    Letter,
    LetterCampaign,
    LetterTarget,
    Official,
    ReplyConsent,
    Targeting,
)
from campaign.validation import email_reason

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
    query = select(Official).where(~Official.is_paused)
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


def settings_by_slug(slug: str) -> LetterCampaign | None:
    """The letter settings of the campaign with this slug, if it is a letter campaign."""
    return db.session.execute(
        select(LetterCampaign)
        .join(Campaign, Campaign.id == LetterCampaign.campaign_id)
        .where(Campaign.slug == slug)
    ).scalar_one_or_none()


def write_letters(signature_id: int, now: datetime | None = None) -> int:
    """Owe one letter per official of a confirmed signature, each once; return how many are new."""
    signature = db.session.get_one(Signature, signature_id)
    settings = letter_settings(signature.campaign_id)
    if settings is None:
        return 0
    now = now or clock.now()
    # Only the hash of the paragraph, and only if the signer's words go into the letter.
    digest = _words_digest(signature, settings)
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
            pacing.queue_letter(db.session.get_one(Letter, letter_id), settings, now)
    return written


def _words_digest(signature: Signature, settings: LetterCampaign) -> str | None:
    """The hash that finds copies of the signer's own words in their letters; None if these carry none.

    A signer who could edit the whole letter and left it as offered sends the organizer's words.
    """
    if settings.signers_may_edit_letter:
        languages = (signature.language, None)
        offered = {letters.words_hash(letters.editable_text(settings, lang)) for lang in languages}
        return None if signature.message_hash in offered else signature.message_hash
    return signature.message_hash if settings.is_signer_editable else None


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
    """Keep what finds near copies of a new signature's own words (a keyed MinHash, never the words).

    Where signers may edit the whole letter, their own words are those they added or changed.
    """
    settings = letter_settings(campaign_id) if message else None
    if settings is not None and settings.signers_may_edit_letter:
        message = letters.own_words(settings, message, current_language())
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


def set_delivery(settings: LetterCampaign, delivery: DeliveryMode, digest_hour: int = 0) -> None:
    """Send the campaign's letters paced, or as one digest a day from `digest_hour` (UTC) on."""
    if delivery == DeliveryMode.DIGEST:
        # The hourly run sends a campaign's digest on its first run inside the window
        # (campaign.targets.digests), once a day: the window's opening is the digest's hour.
        settings.window_start_hour, settings.window_end_hour = digest_hour, 24
    elif settings.delivery == DeliveryMode.DIGEST:
        # Back to paced letters: they may leave at any hour again.
        settings.window_start_hour, settings.window_end_hour = 0, 24
    settings.delivery = delivery


def release_held(letter_id: int, now: datetime | None = None) -> bool:
    """Send a letter held for review after all (staff decided it is genuine); False if it was not held."""
    letter = db.session.get(Letter, letter_id)
    if letter is None or not letter.is_held or letter.outbox_id is not None:
        return False
    letter.is_held = False
    settings = db.session.get_one(LetterCampaign, letter.campaign_id)
    if settings.delivery == DeliveryMode.INDIVIDUAL and not letter.official.is_paused:
        pacing.queue_letter(letter, settings, now or clock.now())
    return True


def send_again(official_ids: list[int], now: datetime | None = None) -> int:
    """Owe again the letters to these officials that never arrived: those that bounced, and those a pause
    of their address stopped (campaign.targets.bounces), at each official's pace (or in the next digest).
    Letters of signatures that stopped counting, or of campaigns taken down, stay unsent. Return how many."""
    now = now or clock.now()
    stopped = select(OutboxMessage.id).where(
        OutboxMessage.status == OutboxStatus.FAILED, OutboxMessage.last_error.in_(bounces.PAUSED)
    )
    never_arrived = (
        select(Letter)
        .join(Signature, Signature.id == Letter.signature_id)
        .join(Campaign, Campaign.id == Letter.campaign_id)
        .where(
            Letter.official_id.in_(official_ids),
            or_(Letter.bounced_at.is_not(None), Letter.outbox_id.in_(stopped)),
            Signature.status == SignatureStatus.VALIDATED,
            Signature.sealed.is_not(None),
            Campaign.status != CampaignStatus.TAKEN_DOWN,
        )
        .order_by(Letter.id)
    )
    again = 0
    for letter in db.session.execute(never_arrived).scalars():
        settings = db.session.get_one(LetterCampaign, letter.campaign_id)
        letter.bounced_at = None
        if settings.delivery == DeliveryMode.DIGEST:
            letter.outbox_id = None  # the next digest carries it
        else:
            pacing.queue_letter(letter, settings, now, again=True)
        again += 1
    return again


def resume(email: str, new_email: str | None, *, resend: bool, actor: str) -> list[str]:
    """Lift the pause of an address (moving its officials to `new_email` if given), and with `resend`
    owe again the letters that never arrived; audited under `actor`. Return what was done, in words.
    InvalidOfficial, with the reason: an address that is not one, no official at `email`, or one of
    them listed at `new_email` already."""
    try:
        email = directory.normalized_email(email)  # as the directory keeps it, not checked further
        # A new address is checked as any address we are to write to (its domain, SMTPUTF8).
        new_email = normalized_email(new_email) if new_email else None
    except EmailNotValidError as error:
        reason = email_reason(error)
        raise InvalidOfficial(gettext("Please check the email address: %(reason)s", reason=reason)) from None
    except InvalidEmail as error:
        raise InvalidOfficial(str(error)) from None
    resumed = bounces.resume_address(email, new_email)
    if not resumed:
        raise InvalidOfficial(gettext("No official in the directory has the address %(email)s.", email=email))
    again = send_again([official.id for official in resumed]) if resend else 0
    for official in resumed:
        details = {"readdressed": new_email is not None, "resent": again}
        record(actor, "official.resumed", f"official:{official.id}", **details)
    names = ", ".join(official.name for official in resumed)
    said = [gettext("Letters go to %(names)s at %(email)s again.", names=names, email=new_email or email)]
    if resend:
        said.append(
            ngettext(
                "%(num)s letter that never arrived is sent again, at the officials' pace.",
                "%(num)s letters that never arrived are sent again, at the officials' pace.",
                again,
            )
        )
    else:
        said.append(gettext("The letters that bounced or that the pause stopped stay unsent."))
    return said


def stop_letters(campaign_id: int, reason: str) -> int:
    """Never send the campaign's letters still waiting in the outbox (it was taken down); return how many."""
    waiting = select(Letter.outbox_id).where(Letter.campaign_id == campaign_id, Letter.outbox_id.is_not(None))
    return mail.cancel(waiting, reason)


def forget_signatures(signature_ids: list[int], reason: str) -> None:
    """Signatures withdrawn or erased: their letters still owed are never sent, their consents dropped."""
    # A digest carries other writers' letters too: it leaves these out when it is written.
    owed = select(Letter.outbox_id).where(Letter.signature_id.in_(signature_ids))
    mail.cancel(owed, reason, kinds=[LETTER_KIND])
    unsent = delete(Letter).where(Letter.signature_id.in_(signature_ids), Letter.outbox_id.is_(None))
    db.session.execute(unsent)
    db.session.execute(delete(ReplyConsent).where(ReplyConsent.signature_id.in_(signature_ids)))
    copies.forget(signature_ids)
