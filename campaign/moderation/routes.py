"""The staff moderation pages: the review queue, a campaign under review, and the decisions."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Response, abort, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts.access import role_required
from campaign.accounts.models import User
from campaign.builder import lifecycle
from campaign.campaigns.models import Campaign
from campaign.campaigns.service import render_markdown
from campaign.extensions import db
from campaign.moderation import service
from campaign.moderation.forms import ApproveForm, ReasonForm

bp = Blueprint("moderation", __name__, url_prefix="/staff/moderation")
STAFF = ("staff", "admin")


def _staff() -> User:
    """The signed-in staff member (the route is guarded by role_required)."""
    return cast(User, current_user._get_current_object())


def _page(template: str, status: int = 200, **context: Any) -> Response:
    """A staff page: private, never stored by a cache."""
    response = Response(render_template(f"moderation/{template}", **context), status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@role_required(*STAFF)
def index() -> Response:
    """The campaigns waiting for review, and the public ones."""
    return _page(
        "index.html",
        queue=service.review_queue(),
        public=service.public_campaigns(),
        stage_of=lifecycle.stage_of,
        labels=lifecycle.STAGE_LABELS,
    )


@bp.get("/<int:campaign_id>")
@role_required(*STAFF)
def show(campaign_id: int) -> Response:
    """A campaign as staff review it, with the decisions its state allows."""
    return _review_page(db.get_or_404(Campaign, campaign_id))


def _review_page(
    campaign: Campaign,
    status: int = 200,
    *,
    reject_form: ReasonForm | None = None,
    takedown_form: ReasonForm | None = None,
    problem: str = "",
) -> Response:
    """Render the review page."""
    organization = service.organization_of(campaign)
    submitter = db.session.get(User, campaign.submitted_by_id) if campaign.submitted_by_id else None
    return _page(
        "show.html",
        status,
        campaign=campaign,
        organization=organization,
        submitter=submitter,
        stage=lifecycle.stage_of(campaign),
        labels=lifecycle.STAGE_LABELS,
        body_html=render_markdown(campaign.body_markdown),
        outcome=lifecycle.outcome_of(campaign),
        history=service.history(campaign),
        approve_form=ApproveForm(),
        reject_form=reject_form or ReasonForm(formdata=None),
        takedown_form=takedown_form or ReasonForm(formdata=None),
        problem=problem,
    )


@bp.post("/<int:campaign_id>/approve")
@role_required(*STAFF)
def approve(campaign_id: int) -> BaseResponse:
    """Approve a campaign in review: it opens."""
    campaign = db.get_or_404(Campaign, campaign_id)
    if not ApproveForm().validate_on_submit():
        abort(400)
    try:
        service.approve(campaign, _staff())
    except lifecycle.LifecycleError as problem:
        db.session.rollback()
        return _review_page(campaign, 409, problem=str(problem))
    db.session.commit()
    return redirect(url_for("moderation.index"), code=303)


@bp.post("/<int:campaign_id>/reject")
@role_required(*STAFF)
def reject(campaign_id: int) -> BaseResponse:
    """Send a campaign back to its organizers with the reason, by email."""
    campaign = db.get_or_404(Campaign, campaign_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _review_page(campaign, 400, reject_form=form)
    try:
        service.reject(campaign, _staff(), form.reason.data or "")
    except lifecycle.LifecycleError as problem:
        db.session.rollback()
        return _review_page(campaign, 409, problem=str(problem))
    db.session.commit()
    return redirect(url_for("moderation.index"), code=303)


@bp.post("/<int:campaign_id>/take-down")
@role_required(*STAFF)
def take_down(campaign_id: int) -> BaseResponse:
    """Hide a public campaign; the reason is recorded."""
    campaign = db.get_or_404(Campaign, campaign_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _review_page(campaign, 400, takedown_form=form)
    try:
        service.take_down(campaign, _staff(), form.reason.data or "")
    except lifecycle.LifecycleError as problem:
        db.session.rollback()
        return _review_page(campaign, 409, problem=str(problem))
    db.session.commit()
    return redirect(url_for("moderation.show", campaign_id=campaign.id), code=303)
