"""Daily digests: for campaigns that chose them, one email a day per official with every new letter."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from flask import render_template
from sqlalchemy import select, update

from campaign import clock
from campaign.campaigns.models import Campaign
from campaign.exports.service import inert
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.signing.models import Signature
from campaign.targets import service
from campaign.targets.models import DeliveryMode, Letter, LetterCampaign, Official

# One digest carries at most this many letters; the rest wait for the next day.
DIGEST_LIMIT = 2000


def send_digests(now: datetime | None = None) -> int:
    """Owe today's digest to each official with letters waiting, inside the window; return how many."""
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
            Official.is_email_bad.is_(False),
        )
        .distinct()
        .order_by(Letter.campaign_id, Letter.official_id)
    ).all()
    return sum(_queue_digest(campaign_id, official_id, now) for campaign_id, official_id in waiting)


def _queue_digest(campaign_id: int, official_id: int, now: datetime) -> bool:
    """Owe one official today's digest of one campaign's waiting letters; False if sent today already."""
    campaign = db.session.get_one(Campaign, campaign_id)
    official = db.session.get_one(Official, official_id)
    letters = (
        db.session.execute(
            select(Letter)
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
    outbox_id = mail.write(
        kind=service.DIGEST_KIND,
        dedupe_key=f"letter-digest:{campaign_id}:{official_id}:{now:%Y%m%d}",
        recipient=mail.address(official.name, official.email),
        subject=f"{len(letters)} letters from {campaign.title}",
        body=render_template(
            "targets/mail/digest.txt", campaign=campaign, official=official, letters=letters
        ),
        now=now,
    )
    if outbox_id is None:
        return False
    db.session.execute(
        update(Letter)
        .where(Letter.id.in_([letter.id for letter in letters]))
        .values(outbox_id=outbox_id)
        .execution_options(synchronize_session=False)
    )
    return True


def csv_attachment(outbox_id: int) -> tuple[str, str, str]:
    """The letters of one digest as a CSV file (name, text subtype, content), inert in a spreadsheet."""
    letters = db.session.execute(
        select(
            Letter.created_at,
            Signature.given_name,
            Signature.family_name,
            Signature.postal_code,
            Signature.region,
            Signature.country,
            Signature.message,
        )
        .join(Signature, Signature.id == Letter.signature_id)
        .where(Letter.outbox_id == outbox_id)
        .order_by(Letter.id)
    ).all()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["Written at (UTC)", "First name", "Last name", "Postal code", "Region", "Country", "Their own words"]
    )
    for row in letters:
        writer.writerow([inert(value) for value in row])
    # A byte-order mark, so that Excel reads the UTF-8 (Armenian names, accents) right.
    return "letters.csv", "csv", "\ufeff" + out.getvalue()
