"""A campaign's translations as rows, and as the public side reads them: kept per campaign version.

campaign.campaigns.translations writes them and puts them on pages, mail and
letters; this module finds the rows and keeps what the public side reads of
them for a short while, keyed by the campaign's `updated_at` (every change of a
translation moves it), so a page view costs no query.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from campaign import i18n
from campaign.campaigns.models import Campaign, CampaignTranslation
from campaign.extensions import db


def translations_of(campaign_id: int) -> Sequence[CampaignTranslation]:
    """A campaign's translations, in the order of the interface's languages."""
    found = db.session.execute(
        select(CampaignTranslation).where(CampaignTranslation.campaign_id == campaign_id)
    ).scalars()
    order = list(i18n.LANGUAGES)
    return sorted(found, key=lambda t: order.index(t.language) if t.language in order else len(order))


def translation_of(campaign_id: int, language: str) -> CampaignTranslation | None:
    """A campaign's translation into one language, if it has one."""
    return db.session.execute(
        select(CampaignTranslation).where(
            CampaignTranslation.campaign_id == campaign_id, CampaignTranslation.language == language
        )
    ).scalar_one_or_none()


@dataclass(frozen=True)
class TranslatedText:
    """One translation as the public side reads it."""

    language: str
    title: str
    summary: str
    body_markdown: str
    share_text: str
    letter_subject: str | None
    letter_body: str | None
    decision_maker: str = ""


@dataclass(frozen=True)
class CampaignTexts:
    """A campaign's own share text and decision maker, and its translations by language."""

    share_text: str
    by_language: dict[str, TranslatedText]
    decision_maker: str = ""


# (campaign id, its version) -> (expires at, its texts). Kept briefly: a page view costs no query.
_texts: dict[tuple[int, datetime], tuple[float, CampaignTexts]] = {}


def texts_of(campaign_id: int, version: datetime) -> CampaignTexts:
    """A campaign's translations at a version, kept for PUBLIC_VIEW_SECONDS per process."""
    now = time.monotonic()
    key = (campaign_id, version)
    kept = _texts.get(key)
    if kept is not None and kept[0] > now:
        return kept[1]
    own = db.session.execute(
        select(Campaign.share_text, Campaign.decision_maker).where(Campaign.id == campaign_id)
    ).first()
    texts = CampaignTexts(
        (own.share_text if own else "") or "",
        {row.language: text_of(row) for row in translations_of(campaign_id)},
        (own.decision_maker if own else "") or "",
    )
    if len(_texts) > 10_000:
        _texts.clear()
    _texts[key] = (now + current_app.config["PUBLIC_VIEW_SECONDS"], texts)
    return texts


def forget() -> None:
    """Drop the texts kept in this process (tests)."""
    _texts.clear()


def text_of(row: CampaignTranslation) -> TranslatedText:
    """A translation row as the public side reads it."""
    return TranslatedText(
        row.language,
        row.title,
        row.summary,
        row.body_markdown,
        row.share_text,
        row.letter_subject,
        row.letter_body,
        row.decision_maker or "",
    )
