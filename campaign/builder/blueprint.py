"""The organizers' blueprint and what its route modules share: the request limit, a page, a campaign.

The blueprint checks CSRF itself, through each form: a campaign's text may be
longer than the site-wide request limit, which the CSRF check would apply
before the view could raise it. Its routes are in campaign.builder.routes
and, imported there, change_routes, comment_routes, setting_routes and
translation_routes.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts.access import current_user_or_401, managed_campaign_or_404
from campaign.accounts.models import Organization
from campaign.builder import change_queries, change_rules, changes, images, lifecycle, public, settings
from campaign.builder.forms import ButtonForm, ImageForm, OutcomeForm
from campaign.builder.setting_forms import ContactForm, ImageAltForm, ImageFocusForm
from campaign.campaigns.models import Campaign, OutcomeKind
from campaign.campaigns.service import render_markdown
from campaign.extensions import csrf, db

bp = Blueprint("builder", __name__)
csrf.exempt(bp)
bp.add_app_template_global(public.page_extras, "page_extras")
# The letter and its delivery, on the builder's campaign page and on the moderation page.
bp.add_app_template_global(settings.letter_for_review, "letter_for_review")
# A campaign's text in Armenian or Arabic, percent-encoded, far exceeds the sign form's limit.
FORM_MAX_BYTES = 512 * 1024


@bp.before_request
def _raise_request_limit() -> None:
    """Let the builder's forms and uploads be larger than a sign form (the limit applies per request)."""
    extra = images.max_bytes() if request.endpoint == "builder.upload_image" else 0
    request.max_content_length = FORM_MAX_BYTES + extra


def page(template: str, status: int = 200, **context: Any) -> Response:
    """An organizer's page (campaign.security keeps it out of every cache, like every page of a session)."""
    return Response(render_template(f"builder/{template}", **context), status=status)


def campaign_or_404(campaign_id: int) -> Campaign:
    """The campaign, if the signed-in user is a member of its organization (staff too only as members);
    a 404 otherwise."""
    return managed_campaign_or_404(campaign_id, staff_too=False)


def to_campaign(campaign: Campaign) -> BaseResponse:
    """Back to the campaign's page in the builder (after a POST)."""
    return redirect(url_for("builder.show", campaign_id=campaign.id), code=303)


def campaign_page(
    campaign: Campaign,
    status: int = 200,
    *,
    outcome_form: OutcomeForm | None = None,
    contact_form: ContactForm | None = None,
    alt_form: ImageAltForm | None = None,
    focus_form: ImageFocusForm | None = None,
    problem: str = "",
) -> Response:
    """Render a campaign's page in the builder."""
    outcome = lifecycle.outcome_of(campaign)
    if outcome_form is None:
        outcome_form = OutcomeForm(
            formdata=None,
            kind=(outcome.kind.value if outcome else OutcomeKind.VICTORY.value),
            text=outcome.text_markdown if outcome else "",
        )
    organization = db.session.get_one(Organization, campaign.organization_id)
    return page(
        "show.html",
        status,
        campaign=campaign,
        organization=organization,
        stage=lifecycle.stage_of(campaign),
        labels=lifecycle.STAGE_LABELS,
        is_editable=lifecycle.is_editable(campaign),
        body_html=render_markdown(campaign.body_markdown),
        outcome=outcome,
        outcome_form=outcome_form,
        button=ButtonForm(),
        image_form=ImageForm(),
        alt_form=alt_form or ImageAltForm(formdata=None, alt_text=campaign.image_alt or ""),
        focus_form=focus_form or ImageFocusForm(formdata=None, focus=str(campaign.image_focus)),
        contact_form=contact_form or ContactForm(formdata=None, contact_email=campaign.contact_email or ""),
        outcome_audience=settings.outcome_audience(campaign),
        max_image_mb=images.max_bytes() // (1024 * 1024),
        problem=problem,
        is_public=lifecycle.is_public(campaign),
        is_owner=change_rules.is_trusted(current_user_or_401(), campaign),
        waiting=change_queries.waiting_for(campaign.id),
        kind_labels=changes.KIND_LABELS,
    )
