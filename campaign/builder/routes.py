"""The organizers' pages: their campaigns, the builder with its preview, the image, submitting.

Every campaign is looked up for the signed-in user: a campaign of another
organization is a 404, so its existence stays private. Once staff approved a
campaign, closing it, its outcome and new words are changes that may wait for
approval: their routes are in campaign.builder.change_routes. The blueprint checks
CSRF itself, through each form: a campaign's text may be longer than the
site-wide request limit, which the CSRF check would apply before the view
could raise it.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from campaign.accounts.access import login_required, signed_in_user
from campaign.accounts.models import Organization, User
from campaign.accounts.organizations import organizations_of
from campaign.builder import changes, forms, images, letters, lifecycle, public, service
from campaign.builder.forms import (
    ButtonForm,
    CampaignForm,
    ImageForm,
    LetterForm,
    NewCampaignForm,
    OutcomeForm,
)
from campaign.campaigns.models import Campaign, CampaignKind, OutcomeKind
from campaign.campaigns.service import render_markdown
from campaign.extensions import csrf, db
from campaign.targets.letters import PLACEHOLDERS

bp = Blueprint("builder", __name__)
csrf.exempt(bp)
bp.add_app_template_global(public.page_extras, "page_extras")
# A campaign's text in Armenian or Arabic, percent-encoded, far exceeds the sign form's limit.
FORM_MAX_BYTES = 512 * 1024


@bp.before_request
def _raise_request_limit() -> None:
    """Let the builder's forms and uploads be larger than a sign form (the limit applies per request)."""
    extra = images.max_bytes() if request.endpoint == "builder.upload_image" else 0
    request.max_content_length = FORM_MAX_BYTES + extra


def _user() -> User:
    """The signed-in user (the route is guarded by login_required)."""
    return cast(User, current_user._get_current_object())


def _page(template: str, status: int = 200, **context: Any) -> Response:
    """An organizer's page: private, never stored by a cache."""
    response = Response(render_template(f"builder/{template}", **context), status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _campaign_or_404(campaign_id: int) -> Campaign:
    """The campaign, if the signed-in user is a member of its organization; a 404 otherwise."""
    campaign = service.campaign_of_member(_user(), campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _to_campaign(campaign: Campaign) -> BaseResponse:
    """Back to the campaign's page in the builder (after a POST)."""
    return redirect(url_for("builder.show", campaign_id=campaign.id), code=303)


@bp.get("/organize/")
@login_required
def index() -> Response:
    """The campaigns of the user's organizations."""
    user = _user()
    return _page(
        "index.html",
        campaigns=service.campaigns_of(user),
        organizations=organizations_of(user),
        stage_of=lifecycle.stage_of,
        labels=lifecycle.STAGE_LABELS,
    )


def _new_form() -> NewCampaignForm:
    """The new-campaign form, offering the user's organizations."""
    form = NewCampaignForm()
    form.organization_id.choices = [SelectChoice(o.id, o.name) for o in organizations_of(_user())]
    return form


@bp.route("/organize/campaigns/new", methods=["GET", "POST"])
@login_required
def new() -> BaseResponse:
    """Start a petition or a letter campaign for one of the user's organizations."""
    form = _new_form()
    if not form.organization_id.choices:
        return _page("no_organization.html", 403 if request.method == "POST" else 200)
    if not form.validate_on_submit():
        return _page("new.html", 400 if request.method == "POST" else 200, form=form)
    try:
        campaign = service.create(
            int(form.organization_id.data or 0), CampaignKind(form.kind.data), form.draft(), _user()
        )
    except service.SlugTaken as problem:
        form.title.errors = [str(problem)]
        return _page("new.html", 409, form=form)
    db.session.commit()
    return redirect(url_for("builder.edit", campaign_id=campaign.id), code=303)


@bp.get("/organize/campaigns/<int:campaign_id>")
@login_required
def show(campaign_id: int) -> Response:
    """A campaign as its organizers see it: where it stands, and what they can do next."""
    campaign = _campaign_or_404(campaign_id)
    return _campaign_page(campaign)


def _campaign_page(
    campaign: Campaign,
    status: int = 200,
    *,
    outcome_form: OutcomeForm | None = None,
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
    return _page(
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
        max_image_mb=images.max_bytes() // (1024 * 1024),
        problem=problem,
        is_public=lifecycle.is_public(campaign),
        is_owner=changes.is_trusted(_user(), campaign),
        waiting=changes.waiting_for(campaign.id),
        kind_labels=changes.KIND_LABELS,
    )


@bp.route("/organize/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def edit(campaign_id: int) -> BaseResponse:
    """Edit a draft; the Preview button shows the text as the page will, without saving."""
    campaign = _campaign_or_404(campaign_id)
    if not lifecycle.is_editable(campaign):
        return _campaign_page(campaign, 409, problem=gettext("Only a draft can be edited."))
    form = CampaignForm(obj=campaign, closes_on=forms.last_day_of(campaign.closes_at))
    if request.method == "GET":
        return _page("edit.html", campaign=campaign, form=form, preview_html=None)
    if not form.validate():
        return _page("edit.html", 400, campaign=campaign, form=form, preview_html=None)
    if form.preview.data:
        preview = render_markdown(form.body_markdown.data or "")
        return _page("edit.html", campaign=campaign, form=form, preview_html=preview)
    try:
        service.update(campaign, form.draft())
    except service.SlugTaken as problem:
        db.session.rollback()
        form.slug.errors = [str(problem)]
        return _page("edit.html", 409, campaign=campaign, form=form, preview_html=None)
    db.session.commit()
    return _to_campaign(campaign)


def _letter_form(campaign: Campaign) -> LetterForm:
    """The letter form, filled in from the saved settings on a GET, offering the directory's officials."""
    settings = letters.settings_of(campaign)
    form = LetterForm(
        obj=settings, targeting=settings.targeting.value, official_ids=letters.target_ids(campaign)
    )
    form.official_ids.choices = [
        SelectChoice(o.id, f"{o.name}, {o.title} ({o.country}{'-' + o.region if o.region else ''})")
        for o in letters.officials_offered()
    ]
    return form


@bp.route("/organize/campaigns/<int:campaign_id>/letter", methods=["GET", "POST"])
@login_required
def edit_letter(campaign_id: int) -> BaseResponse:
    """Edit the letters of a draft letter campaign: subject, text, and the officials they go to."""
    campaign = _campaign_or_404(campaign_id)
    if not campaign.is_letter:
        abort(404)
    if not lifecycle.is_editable(campaign):
        return _campaign_page(campaign, 409, problem=gettext("Only a draft can be edited."))
    form = _letter_form(campaign)
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _page("letter.html", status, campaign=campaign, form=form, placeholders=PLACEHOLDERS)
    try:
        letters.update(campaign, form.draft())
    except lifecycle.LifecycleError as problem:
        db.session.rollback()
        form.official_ids.errors = [str(problem)]
        return _page("letter.html", 400, campaign=campaign, form=form, placeholders=PLACEHOLDERS)
    db.session.commit()
    return _to_campaign(campaign)


@bp.post("/organize/campaigns/<int:campaign_id>/image")
@login_required
def upload_image(campaign_id: int) -> BaseResponse:
    """Check, clean and store a new image for the campaign."""
    campaign = _campaign_or_404(campaign_id)
    form = ImageForm()
    if not form.validate_on_submit():
        return _campaign_page(campaign, 400, problem=" ".join(_errors(form)))
    if not lifecycle.is_editable(campaign):
        return _campaign_page(campaign, 409, problem=gettext("Only a draft's image can be changed."))
    try:
        clean = images.clean(form.image.data.stream)
    except images.BadImage as problem:
        return _campaign_page(campaign, 400, problem=str(problem))
    old = service.replace_image(campaign, clean, _user())
    db.session.commit()
    images.delete(old)
    return _to_campaign(campaign)


@bp.post("/organize/campaigns/<int:campaign_id>/image/delete")
@login_required
def delete_image(campaign_id: int) -> BaseResponse:
    """Take the image off the campaign."""
    campaign = _campaign_or_404(campaign_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not lifecycle.is_editable(campaign):
        return _campaign_page(campaign, 409, problem=gettext("Only a draft's image can be changed."))
    old = service.remove_image(campaign, _user())
    db.session.commit()
    images.delete(old)
    return _to_campaign(campaign)


@bp.post("/organize/campaigns/<int:campaign_id>/submit")
@login_required
def submit(campaign_id: int) -> BaseResponse:
    """Send a draft to staff for review."""
    return _step(campaign_id, "campaign.submitted", lambda c: lifecycle.submit(c, _user()))


def _step(campaign_id: int, action: str, step: Any) -> BaseResponse:
    """Take one lifecycle step behind a button, record it, and go back to the campaign."""
    campaign = _campaign_or_404(campaign_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        step(campaign)
    except lifecycle.LifecycleError as problem:
        db.session.rollback()
        return _campaign_page(campaign, 409, problem=str(problem))
    service.record(service.actor(_user()), action, f"campaign:{campaign.id}")
    db.session.commit()
    return _to_campaign(campaign)


@bp.get("/media/campaign-images/<name>")
def image(name: str) -> Response:
    """A campaign's image: public once the campaign is, and to its members and staff before."""
    campaign = service.campaign_of_image(name) if images.NAME_PATTERN.match(name) else None
    path = images.path_of(name) if campaign is not None else None
    if campaign is None or path is None or not service.may_see_image(signed_in_user(), campaign):
        abort(404)
    response = send_file(path, mimetype=images.MIME_TYPES[name.rpartition(".")[2]], conditional=True)
    if campaign.status in service.PUBLIC_STATUSES:
        # A new image gets a new name, so a stored copy never goes stale.
        response.cache_control.public = True
        response.cache_control.max_age = 365 * 24 * 3600
        response.cache_control.immutable = True
    else:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _errors(form: Any) -> list[str]:
    """Every error message of a form, in field order."""
    return [str(message) for messages in form.errors.values() for message in messages]


# The routes of changes after approval (close, outcome, new words, decisions) add themselves to bp.
from campaign.builder import change_routes as change_routes  # noqa: E402
from campaign.builder import comment_routes as comment_routes  # noqa: E402
from campaign.builder import translation_routes as translation_routes  # noqa: E402
