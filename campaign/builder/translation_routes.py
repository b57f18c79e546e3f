"""Translating a campaign in the builder: its words in each language the supporters read.

Routes of campaign.builder's blueprint. A draft's translations are
saved at once, like the rest of the draft (staff read them when they review
it). Once staff approved the campaign, a translation is new words on a public
page: it goes through campaign.builder.changes like any other change of words
(an owner with a fresh second factor applies it; a member's waits for approval).
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts.access import login_required
from campaign.builder import change_queries, letters, lifecycle
from campaign.builder.blueprint import bp, campaign_or_404, campaign_page, page
from campaign.builder.change_routes import _propose
from campaign.builder.models import ChangeKind
from campaign.builder.translation_forms import TranslationForm
from campaign.campaigns import translations
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.i18n import LANGUAGES
from campaign.targets.letters import PLACEHOLDERS


def _to_translations(campaign: Campaign) -> BaseResponse:
    """Back to the campaign's translations (after a POST)."""
    return redirect(url_for("builder.translations_page", campaign_id=campaign.id), code=303)


@bp.get("/organize/campaigns/<int:campaign_id>/translations")
@login_required
def translations_page(campaign_id: int) -> Response:
    """The campaign's translations: which languages it speaks, and those waiting for approval."""
    campaign = campaign_or_404(campaign_id)
    found = {row.language: row for row in translations.translations_of(campaign.id)}
    waiting = [c for c in change_queries.waiting_for(campaign.id) if c.kind == ChangeKind.TRANSLATION]
    return page(
        "translations.html",
        campaign=campaign,
        languages=translations.languages_for(campaign),
        names=LANGUAGES,
        found=found,
        waiting={c.payload.get("language"): c for c in waiting},
        is_editable=lifecycle.is_editable(campaign),
        is_public=lifecycle.is_public(campaign),
    )


@bp.route("/organize/campaigns/<int:campaign_id>/translations/<language>", methods=["GET", "POST"])
@login_required
def translate(campaign_id: int, language: str) -> BaseResponse:
    """Write or correct the campaign's words in one language (a public campaign's: a change under review)."""
    campaign = campaign_or_404(campaign_id)
    if language not in translations.languages_for(campaign):
        abort(404)
    if not (lifecycle.is_editable(campaign) or lifecycle.is_public(campaign)):
        problem = gettext("Only a draft, or a campaign the public can see, can be translated.")
        return campaign_page(campaign, 409, problem=problem)
    settings = letters.settings_or_none(campaign) if campaign.is_letter else None
    may_edit_whole = settings is not None and settings.signers_may_edit_letter
    form = TranslationForm(
        obj=translations.translation_of(campaign.id, language), signers_may_edit_letter=may_edit_whole
    )
    form.write_in(language)
    context: dict[str, Any] = {
        "campaign": campaign,
        "form": form,
        "language": language,
        "language_name": LANGUAGES[language],
        "placeholders": PLACEHOLDERS,
        "is_public": lifecycle.is_public(campaign),
        "whole_letter_limit": letters.WHOLE_LETTER_LIMIT,
    }
    if not form.validate_on_submit():
        return page("translation.html", 400 if request.method == "POST" else 200, **context)
    if lifecycle.is_public(campaign):
        return _propose(
            campaign,
            ChangeKind.TRANSLATION,
            form.draft().payload(language),
            lambda problem: page("translation.html", 409, problem=problem, **context),
        )
    try:
        translations.save(campaign, language, form.draft())
    except translations.TranslationError as problem:
        db.session.rollback()
        return page("translation.html", 409, problem=str(problem), **context)
    db.session.commit()
    return _to_translations(campaign)
