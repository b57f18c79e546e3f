"""Daily digests: for campaigns that chose them, one email a day per official with every new letter."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import render_template
from flask_babel import ngettext
from sqlalchemy import select, update

from campaign import clock
from campaign.campaigns.models import Campaign
from campaign.exports.cells import inert
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.mail.kinds import Attachment
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature, SignatureStatus
from campaign.targets import service
from campaign.targets.bounces import record_bounce, record_complaint
from campaign.targets.messages import write_letter
from campaign.targets.models import DeliveryMode, Letter, LetterCampaign, Official
from campaign.webhooks.events import letters_sent

DIGEST_KIND = "letter-digest"
# One digest carries at most this many letters; the rest wait for the next day.
DIGEST_LIMIT = 2000


def send_digests(now: datetime | None = None) -> int:
    """Owe and commit today's digest to each official with letters waiting, in the window; return how many."""
    now = now or clock.now()
    waiting = db.session.execute(
        select(Letter.campaign_id, Letter.official_id)
        .join(LetterCampaign, LetterCampaign.campaign_id == Letter.campaign_id)
        .join(Official, Official.id == Letter.official_id)
        .where(
            LetterCampaign.delivery == DeliveryMode.DIGEST,
            LetterCampaign.window_start_hour <= now.hour,
            LetterCampaign.window_end_hour > now.hour,
            Letter.outbox_id.is_(None),
            Letter.is_held.is_(False),
            ~Official.is_paused,
        )
        .distinct()
        .order_by(Letter.campaign_id, Letter.official_id)
    ).all()
    owed = sum(_queue_digest(campaign_id, official_id, now) for campaign_id, official_id in waiting)
    db.session.commit()
    return owed


def _queue_digest(campaign_id: int, official_id: int, now: datetime) -> bool:
    """Owe one official today's digest of one campaign's waiting letters; False if sent today already."""
    letters = (
        db.session.execute(
            select(Letter.id)
            .where(
                Letter.campaign_id == campaign_id,
                Letter.official_id == official_id,
                Letter.outbox_id.is_(None),
                Letter.is_held.is_(False),
            )
            .order_by(Letter.id)
            .limit(DIGEST_LIMIT)
        )
        .scalars()
        .all()
    )
    outbox_id = mail.owe(
        kind=DIGEST_KIND,
        dedupe_key=f"letter-digest:{campaign_id}:{official_id}:{now:%Y%m%d}",
        ref_id=official_id,
        now=now,
    )
    if outbox_id is None:
        return False
    db.session.execute(
        update(Letter)
        .where(Letter.id.in_(letters))
        .values(outbox_id=outbox_id)
        .execution_options(synchronize_session=False)
    )
    return True


def _digest_letters(outbox_id: int) -> list[Letter]:
    """The letters a digest carries, leaving out those whose signature stopped counting or was anonymised."""
    return list(
        db.session.execute(
            select(Letter)
            .join(Signature, Signature.id == Letter.signature_id)
            .where(
                Letter.outbox_id == outbox_id,
                Signature.status == SignatureStatus.VALIDATED,
                Signature.sealed.is_not(None),
            )
            .order_by(Letter.id)
        ).scalars()
    )


def _compose_digest(row: OutboxMessage) -> mail.Composed | None:
    """The day's digest to one official, written from the sealed signatures when it is sent."""
    letters = _digest_letters(row.id)
    official = db.session.get(Official, row.ref_id)
    if not letters or official is None or official.is_paused:
        return None
    campaign = db.session.get_one(Campaign, letters[0].campaign_id)
    written = [write_letter(letter) for letter in letters]
    return mail.Composed(
        recipient=mail.address(official.name, official.email),
        subject=ngettext(
            "%(num)s letter from %(title)s",
            "%(num)s letters from %(title)s",
            len(written),
            title=campaign.title,
        ),
        body=render_template(
            "targets/mail/digest.txt", campaign=campaign, official=official, letters=written
        ),
    )


def csv_attachment(row: OutboxMessage) -> list[Attachment]:
    """The letters of one digest as a CSV file (name, text subtype, content), inert in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["Written at (UTC)", "First name", "Last name", "Postal code", "Region", "Country", "Their own words"]
    )
    for letter in _digest_letters(row.id):
        signature, personal = letter.signature, letter.signature.personal
        settings = service.letter_settings(letter.campaign_id)
        # The signer's own words are in the file only where they are in the letter.
        words = (
            personal.message
            if settings is None or settings.is_signer_editable or settings.signers_may_edit_letter
            else ""
        )
        cells = [
            letter.created_at,
            personal.given_name,
            personal.family_name,
            personal.postal_code,
            signature.region or "",
            signature.country,
            words,
        ]
        writer.writerow([inert(value) for value in cells])
    # A byte-order mark, so that Excel reads the UTF-8 (Armenian names, accents) right.
    return [("letters.csv", "csv", "\ufeff" + out.getvalue())]


mail.register_kind(
    DIGEST_KIND,
    compose=_compose_digest,
    attachments=csv_attachment,
    on_refused=record_bounce,
    on_complaint=record_complaint,
    on_sent=letters_sent,
    despite_stop=mail.ALWAYS,  # as a letter (campaign.targets.messages)
)
