"""A campaign's words in the supporters' languages: kept per language, read in the reader's, or its own.

Organizers translate a campaign's title, summary, text, share text and decision
maker (and a letter campaign's letter) into the languages the interface speaks
(campaign.i18n.LANGUAGES). A reader sees the translation into their
language, or the campaign's own words where there is none; either way the
words carry their real language, so `lang` attributes never lie.

Every change of a translation moves the campaign's `updated_at`: the public
page's skeletons and the texts kept in campaign.campaigns.translation_texts
are keyed by it, so a new translation reaches every process once its cached
view expires, like any other edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Protocol

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from campaign import clock, i18n
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import Campaign, CampaignTranslation
from campaign.campaigns.service import CampaignView
from campaign.campaigns.translation_texts import CampaignTexts, TranslatedText, text_of, texts_of
from campaign.campaigns.translation_texts import forget as forget
from campaign.campaigns.translation_texts import translation_of as translation_of
from campaign.campaigns.translation_texts import translations_of as translations_of
from campaign.extensions import db

# The languages a campaign can be translated into: those the interface speaks.
LANGUAGES = i18n.LANGUAGES


class TranslationError(Exception):
    """The translation cannot be saved as asked; the message says why."""


@dataclass(frozen=True)
class TranslationDraft:
    """A campaign's words in one language, as an organizer wrote them (also a change's payload)."""

    title: str
    summary: str
    body_markdown: str
    share_text: str = ""
    letter_subject: str | None = None
    letter_body: str | None = None
    # Whom the campaign addresses, in this language ("": the campaign's own words are shown).
    decision_maker: str = ""

    def payload(self, language: str) -> dict[str, Any]:
        """The draft as a change request's payload (JSON)."""
        return {"language": language, **{f.name: getattr(self, f.name) for f in fields(self)}}

    @classmethod
    def of_payload(cls, payload: dict[str, Any]) -> TranslationDraft:
        """The draft a change request's payload holds."""
        return cls(
            title=str(payload.get("title") or ""),
            summary=str(payload.get("summary") or ""),
            body_markdown=str(payload.get("body_markdown") or ""),
            share_text=str(payload.get("share_text") or ""),
            letter_subject=payload.get("letter_subject") or None,
            letter_body=payload.get("letter_body") or None,
            decision_maker=str(payload.get("decision_maker") or ""),
        )


def languages_for(campaign: Campaign) -> list[str]:
    """The languages a campaign may be translated into: every interface language but its own."""
    return [code for code in LANGUAGES if code != campaign.language]


def save(campaign: Campaign, language: str, draft: TranslationDraft) -> CampaignTranslation:
    """Add or replace the campaign's words in a language (a draft's, or an approved change's)."""
    if language not in languages_for(campaign):
        raise TranslationError(gettext("This campaign cannot be translated into that language."))
    found = translation_of(campaign.id, language)
    if found is None:
        found = CampaignTranslation(campaign_id=campaign.id, language=language)
        try:
            with db.session.begin_nested():
                _write(found, draft, campaign.is_letter)
                db.session.add(found)
        except IntegrityError:
            raise TranslationError(
                gettext("Someone saved this translation at the same moment; please try again.")
            ) from None
    else:
        _write(found, draft, campaign.is_letter)
    # A new version of the campaign: its public page is rendered again with the new words.
    campaign.updated_at = clock.now()
    campaigns.forget_views()
    return found


def _write(row: CampaignTranslation, draft: TranslationDraft, is_letter: bool) -> None:
    """Copy a draft's words onto a translation row (a letter only on a letter campaign)."""
    row.title = draft.title.strip()
    row.summary = draft.summary.strip()
    row.body_markdown = draft.body_markdown
    row.share_text = draft.share_text.strip()
    row.decision_maker = draft.decision_maker.strip()
    has_letter = is_letter and bool(draft.letter_subject and draft.letter_body)
    row.letter_subject = (draft.letter_subject or "").strip() if has_letter else None
    row.letter_body = draft.letter_body if has_letter else None


# --- Reading: the public page, the mail, the letters ------------------------------------------


@dataclass(frozen=True)
class LocalizedView(CampaignView):
    """A campaign's public view in the reader's language where it has a translation, else in its own.

    `language` is the language its words are in (for `lang` attributes),
    share text included: a translation without one offers its title to share
    rather than words in another language. The decision maker is the
    translation's where it has one, else the campaign's own, in
    `decision_maker_language`.
    """

    share_text: str = ""
    own_language: str = ""
    is_translated: bool = False
    decision_maker: str = ""
    decision_maker_language: str = ""


def localized(view: CampaignView, language: str) -> LocalizedView:
    """The campaign's public view with its words in `language` if translated, else its own."""
    if isinstance(view, LocalizedView):
        return view
    texts = texts_of(view.id, view.updated_at)
    base = {f.name: getattr(view, f.name) for f in fields(CampaignView)}
    text = texts.by_language.get(language) if language != view.language else None
    # Whom it addresses (a CampaignView holds none): the translation's words or the campaign's own.
    base["decision_maker"], base["decision_maker_language"] = _decision_maker(texts, text, view.language)
    if text is None:
        return LocalizedView(**base, share_text=texts.share_text, own_language=view.language)
    return LocalizedView(
        **{
            **base,
            "title": text.title,
            "summary": text.summary,
            "body_html": campaigns._rendered_body(view.id, view.updated_at, text.body_markdown),
            "language": text.language,
        },
        share_text=text.share_text,
        own_language=view.language,
        is_translated=True,
    )


def _decision_maker(texts: CampaignTexts, text: TranslatedText | None, own_language: str) -> tuple[str, str]:
    """Whom the campaign addresses, in the translation's words where it has them, and their language.

    Only while the campaign names one itself: a translation does not add a decision maker to a page.
    """
    if text is not None and text.decision_maker and texts.decision_maker:
        return text.decision_maker, text.language
    return texts.decision_maker, own_language


class CampaignWords(Protocol):
    """What quoting a campaign in a language needs of it: a Campaign, or a narrow read of its row."""

    @property
    def id(self) -> int: ...

    @property
    def language(self) -> str: ...

    @property
    def updated_at(self) -> datetime: ...

    @property
    def title(self) -> str: ...

    @property
    def summary(self) -> str: ...


class CampaignInLanguage:
    """A campaign as a message to one supporter quotes it: translated title and summary, the rest its own."""

    def __init__(self, campaign: CampaignWords, text: TranslatedText | None) -> None:
        """Wrap a campaign with its translation into the reader's language (None: its own words)."""
        self._campaign = campaign
        self.title = text.title if text else campaign.title
        self.summary = text.summary if text else campaign.summary
        self.language = text.language if text else campaign.language

    def __getattr__(self, name: str) -> Any:
        """Every other field (slug, goal, kind...) is the campaign's own."""
        return getattr(self._campaign, name)


def in_language(campaign: CampaignWords, language: str | None) -> CampaignInLanguage:
    """The campaign as a message in `language` quotes it (its own words without a translation)."""
    chosen = i18n.supported(language)
    text = None
    if chosen and chosen != campaign.language:
        text = texts_of(campaign.id, campaign.updated_at).by_language.get(chosen)
    return CampaignInLanguage(campaign, text)


def letter_templates(campaign: Campaign, language: str | None) -> tuple[str, str] | None:
    """The letter's subject and body templates in `language`, if the letter is translated into it."""
    chosen = i18n.supported(language)
    if not chosen or chosen == campaign.language:
        return None
    text = texts_of(campaign.id, campaign.updated_at).by_language.get(chosen)
    if text is None or not text.letter_subject or not text.letter_body:
        return None
    return text.letter_subject, text.letter_body


def all_in_language(campaigns: Sequence[Campaign], language: str | None) -> list[CampaignInLanguage]:
    """Campaigns as a list shows them in `language`: one query for all their translations, not one each."""
    chosen = i18n.supported(language)
    ids = [campaign.id for campaign in campaigns if campaign.language != chosen]
    found: dict[int, TranslatedText] = {}
    if chosen and ids:
        rows = db.session.execute(
            select(CampaignTranslation).where(
                CampaignTranslation.campaign_id.in_(ids), CampaignTranslation.language == chosen
            )
        ).scalars()
        found = {row.campaign_id: text_of(row) for row in rows}
    return [CampaignInLanguage(campaign, found.get(campaign.id)) for campaign in campaigns]
