"""The organizers' pages: their campaigns, the builder with its preview, the image, submitting.

Every campaign is looked up for the signed-in user: a campaign of another
organization is a 404, so its existence stays private. Once staff approved a
campaign, closing it, its outcome and new words are changes that may wait for
approval: their routes are in campaign.builder.change_routes. The blueprint and
what its route modules share are in campaign.builder.blueprint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from campaign.accounts.access import current_user_or_401, login_required, signed_in_user
from campaign.accounts.forms import OrganizationForm
from campaign.accounts.organizations import organizations_of

# These add their routes to bp: changes after approval, comments, settings, translations.
from campaign.builder import change_routes as change_routes
from campaign.builder import comment_routes as comment_routes
from campaign.builder import images, letters, lifecycle, service
from campaign.builder import setting_routes as setting_routes
from campaign.builder import translation_routes as translation_routes
from campaign.builder.blueprint import bp, campaign_or_404, campaign_page, page, to_campaign
from campaign.builder.forms import (
    ButtonForm,
    CampaignForm,
    ImageForm,
    LetterForm,
    NewCampaignForm,
)
from campaign.campaigns.models import Campaign, CampaignKind, last_day_of
from campaign.campaigns.service import render_markdown
from campaign.extensions import db
from campaign.security import private
from campaign.targets.letters import PLACEHOLDERS


@bp.get("/organize/")
@login_required
def index() -> Response:
    """The campaigns of the user's organizations."""
    user = current_user_or_401()
    return page(
        "index.html",
        campaigns=service.campaigns_of(user),
        organizations=organizations_of(user),
        stage_of=lifecycle.stage_of,
        labels=lifecycle.STAGE_LABELS,
        # A first run: the organization is made on this page, then the first campaign.
        organization_form=OrganizationForm(then="campaign"),
    )


def _new_form() -> NewCampaignForm:
    """The new-campaign form, offering the user's organizations."""
    form = NewCampaignForm()
    organizations = organizations_of(current_user_or_401())
    form.organization_id.choices = [SelectChoice(o.id, o.name) for o in organizations]
    return form


@bp.route("/organize/campaigns/new", methods=["GET", "POST"])
@login_required
def new() -> BaseResponse:
    """Start a petition or a letter campaign for one of the user's organizations."""
    form = _new_form()
    if not form.organization_id.choices:
        status = 403 if request.method == "POST" else 200
        return page("no_organization.html", status, organization_form=OrganizationForm(then="campaign"))
    if not form.validate_on_submit():
        return page("new.html", 400 if request.method == "POST" else 200, form=form)
    try:
        organization_id = int(form.organization_id.data or 0)
        user = current_user_or_401()
        campaign = service.create(organization_id, CampaignKind(form.kind.data), form.draft(), user)
    except service.SlugTaken as problem:
        form.title.errors = [str(problem)]
        return page("new.html", 409, form=form)
    db.session.commit()
    # On to the draft's overview, the hub of every step before review (image, letter, translations...).
    flash(gettext("The draft is saved. Here is every step before you submit it for review."))
    return redirect(url_for("builder.show", campaign_id=campaign.id), code=303)


@bp.get("/organize/campaigns/<int:campaign_id>")
@login_required
def show(campaign_id: int) -> Response:
    """A campaign as its organizers see it: where it stands, and what they can do next."""
    campaign = campaign_or_404(campaign_id)
    return campaign_page(campaign)


@bp.route("/organize/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def edit(campaign_id: int) -> BaseResponse:
    """Edit a draft; the Preview button shows the text as the page will, without saving."""
    campaign = campaign_or_404(campaign_id)
    if not lifecycle.is_editable(campaign):
        return campaign_page(campaign, 409, problem=gettext("Only a draft can be edited."))
    closes_on = last_day_of(campaign.closes_at) if campaign.closes_at else None
    form = CampaignForm(obj=campaign, closes_on=closes_on)
    if request.method == "GET":
        return page("edit.html", campaign=campaign, form=form, preview_html=None)
    if not form.validate():
        return page("edit.html", 400, campaign=campaign, form=form, preview_html=None)
    if form.preview.data:
        preview = render_markdown(form.body_markdown.data or "")
        return page("edit.html", campaign=campaign, form=form, preview_html=preview)
    problem = _saved(lambda: service.update(campaign, form.draft()), service.SlugTaken)
    if problem is None:
        return to_campaign(campaign)
    form.slug.errors = [problem]
    return page("edit.html", 409, campaign=campaign, form=form, preview_html=None)


def _saved(save: Callable[[], object], refused: type[Exception]) -> str | None:
    """Save a draft's new values and commit; if they are refused, nothing is saved and the reason returned."""
    try:
        save()
    except refused as problem:
        db.session.rollback()
        return str(problem)
    db.session.commit()
    return None


def _letter_form(campaign: Campaign) -> LetterForm:
    """The letter form, filled in from the saved settings on a GET, offering the directory's officials."""
    settings = letters.settings_of(campaign)
    form = LetterForm(
        obj=settings,
        targeting=settings.targeting.value,
        official_ids=letters.target_ids(campaign),
        delivery=settings.delivery.value,
        digest_hour=letters.digest_hour_of(settings),
    )
    form.official_ids.choices = [
        SelectChoice(o.id, letters.official_label(o)) for o in letters.officials_offered()
    ]
    return form


@bp.route("/organize/campaigns/<int:campaign_id>/letter", methods=["GET", "POST"])
@login_required
def edit_letter(campaign_id: int) -> BaseResponse:
    """Edit the letters of a draft letter campaign: subject, text, and the officials they go to."""
    campaign = campaign_or_404(campaign_id)
    if not campaign.is_letter:
        abort(404)
    if not lifecycle.is_editable(campaign):
        return campaign_page(campaign, 409, problem=gettext("Only a draft can be edited."))
    form = _letter_form(campaign)
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return page("letter.html", status, campaign=campaign, form=form, placeholders=PLACEHOLDERS)
    problem = _saved(lambda: letters.update(campaign, form.draft()), lifecycle.LifecycleError)
    if problem is None:
        flash(gettext("The letters are saved."))
        return to_campaign(campaign)
    form.official_ids.errors = [problem]
    return page("letter.html", 400, campaign=campaign, form=form, placeholders=PLACEHOLDERS)


@bp.post("/organize/campaigns/<int:campaign_id>/image")
@login_required
def upload_image(campaign_id: int) -> BaseResponse:
    """Check, clean and store a new image for the campaign."""
    campaign = campaign_or_404(campaign_id)
    form = ImageForm()
    if not form.validate_on_submit():
        return campaign_page(campaign, 400, problem=" ".join(_errors(form)))
    if not lifecycle.is_editable(campaign):
        return campaign_page(campaign, 409, problem=gettext("Only a draft's image can be changed."))
    try:
        clean = images.clean(form.image.data.stream)
    except images.BadImage as problem:
        return campaign_page(campaign, 400, problem=str(problem))
    old = service.replace_image(campaign, clean, current_user_or_401(), form.image_alt.data or "")
    db.session.commit()
    images.delete(old)
    flash(gettext("The image was uploaded."))
    return to_campaign(campaign)


@bp.post("/organize/campaigns/<int:campaign_id>/image/delete")
@login_required
def delete_image(campaign_id: int) -> BaseResponse:
    """Take the image off the campaign."""
    campaign = campaign_or_404(campaign_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not lifecycle.is_editable(campaign):
        return campaign_page(campaign, 409, problem=gettext("Only a draft's image can be changed."))
    old = service.remove_image(campaign, current_user_or_401())
    db.session.commit()
    images.delete(old)
    return to_campaign(campaign)


@bp.post("/organize/campaigns/<int:campaign_id>/submit")
@login_required
def submit(campaign_id: int) -> BaseResponse:
    """Send a draft to staff for review (a letter campaign once its letter is written)."""
    return _step(campaign_id, "campaign.submitted", _submit)


def _submit(campaign: Campaign) -> None:
    """Submit a draft; a letter campaign's letter must be written (the step is undone otherwise)."""
    lifecycle.submit(campaign, current_user_or_401())
    letters.require_letter(campaign)


def _step(campaign_id: int, action: str, step: Any) -> BaseResponse:
    """Take one lifecycle step behind a button, record it, and go back to the campaign."""
    campaign = campaign_or_404(campaign_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        step(campaign)
    except lifecycle.LifecycleError as problem:
        db.session.rollback()
        return campaign_page(campaign, 409, problem=str(problem))
    service.record(service.actor(current_user_or_401()), action, f"campaign:{campaign.id}")
    db.session.commit()
    return to_campaign(campaign)


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
        private(response)
    return response


def _errors(form: Any) -> list[str]:
    """Every error message of a form, in field order."""
    return [str(message) for messages in form.errors.values() for message in messages]
