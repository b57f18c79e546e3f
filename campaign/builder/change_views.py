"""A proposed change as its reviewers see it: what it would publish, and what it changes line by line."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields, replace
from typing import Any

from flask import url_for
from flask_babel import gettext
from markupsafe import Markup

from campaign import labels
from campaign.accounts.models import ChangeReview, User
from campaign.builder import changes, letters, settings
from campaign.builder.models import ChangeKind, ChangeRequest
from campaign.campaigns import translations
from campaign.campaigns.models import Campaign, CampaignTranslation
from campaign.extensions import db
from campaign.i18n import LANGUAGES
from campaign.updates import links

STATUS_LABELS = labels.CHANGE_STATUSES


@dataclass(frozen=True)
class ChangeView:
    """What a page shows of one change."""

    change: ChangeRequest
    label: str
    status_label: str
    waits_for: str
    author: User | None
    decider: User | None
    # The text it would publish, as the page or the email would show it (links with their hosts).
    heading: str = ""
    html: Markup | None = None
    # For new words replacing old ones: a unified diff of the Markdown, for a reader to check every line.
    diff: str = ""
    # The language the proposed words are in, for their `lang` attribute (a translation's).
    language: str | None = None


def view_of(change: ChangeRequest, campaign: Campaign) -> ChangeView:
    """Describe a change for its page."""
    is_owners = change.review_by == ChangeReview.OWNER
    base = ChangeView(
        change=change,
        label=changes.KIND_LABELS[change.kind].capitalize(),
        status_label=str(STATUS_LABELS[change.status.value]),
        waits_for=gettext("one of the organization's owners")
        if is_owners
        else gettext("the platform's staff"),
        author=db.session.get(User, change.proposed_by_id) if change.proposed_by_id else None,
        decider=db.session.get(User, change.decided_by_id) if change.decided_by_id else None,
    )
    payload = change.payload
    if change.kind == ChangeKind.OUTCOME:
        heading = labels.label(payload["kind"], "outcome")
        return replace(base, heading=heading, html=links.page_html(payload["text"]))
    if change.kind == ChangeKind.UPDATE:
        return replace(base, heading=payload["subject"], html=links.page_html(payload["body_markdown"]))
    if change.kind == ChangeKind.TEXT:
        old = _page_text(campaign.title, campaign.summary, campaign.body_markdown)
        new = _page_text(payload["title"], payload["summary"], payload["body_markdown"])
        html = links.page_html(payload["body_markdown"])
        return replace(base, heading=payload["title"], html=html, diff=_diff(old, new))
    if change.kind == ChangeKind.TRANSLATION:
        return replace(base, **_translation_view(payload, campaign))
    if change.kind == ChangeKind.LETTER:
        settings = letters.settings_of(campaign)
        old = _letter_text(settings.subject_template, settings.body_template)
        new = _letter_text(payload["subject_template"], payload["body_template"])
        return replace(base, heading=payload["subject_template"], diff=_diff(old, new))
    return replace(base, heading=gettext("Close the campaign now: it takes no more signatures."))


def outcome_audience_of(change: ChangeRequest, campaign: Campaign) -> int | None:
    """How many signers approving the change would email now (a waiting first outcome); else None."""
    if change.kind != ChangeKind.OUTCOME or not change.is_pending:
        return None
    return settings.outcome_audience(campaign)


def _translation_view(payload: dict[str, Any], campaign: Campaign) -> dict[str, Any]:
    """A proposed translation: its words, and what they change from the translation in place (if any)."""
    language = payload["language"]
    found = translations.translation_of(campaign.id, language)
    old = _translation_text(_words_of(found) if found is not None else {})
    label = LANGUAGES.get(language, language)
    return {
        "heading": f"{label}: {payload['title']}",
        "html": links.page_html(payload["body_markdown"]),
        "diff": _diff(old, _translation_text(payload)),
        "language": language,
    }


def _words_of(found: CampaignTranslation) -> dict[str, Any]:
    """A translation in place, as the words of a proposal."""
    return {field.name: getattr(found, field.name) for field in fields(translations.TranslationDraft)}


def _translation_text(words: dict[str, Any]) -> str:
    """A translation's words (page, share text, decision maker, letter) as one text to compare."""
    page = _page_text(words.get("title") or "", words.get("summary") or "", words.get("body_markdown") or "")
    letter = _letter_text(words.get("letter_subject") or "", words.get("letter_body") or "")
    addressed = f"\nAddressed to: {words['decision_maker']}" if words.get("decision_maker") else ""
    return f"{page}\nShare text: {words.get('share_text') or ''}{addressed}\n\n{letter}"


def _page_text(title: str, summary: str, body: str) -> str:
    """A page's words as one text to compare."""
    return f"Title: {title}\nSummary: {summary}\n\n{body}"


def _letter_text(subject: str, body: str) -> str:
    """A letter's words as one text to compare."""
    return f"Subject: {subject}\n\n{body}"


def _diff(old: str, new: str) -> str:
    """The lines removed (-) and added (+), with a little context."""
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "approved", "proposed", lineterm="", n=2)
    return "\n".join(lines)


def second_factor_url(user: User, next_path: str) -> str:
    """Where a user gives their second factor (or turns it on first) before coming back to next_path."""
    if not user.has_two_factor:
        return url_for("accounts.two_factor_setup")
    return url_for("accounts.two_factor_verify", next=next_path)
