"""The staff moderation pages: the review queue, a campaign under review, and the decisions."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from flask import Blueprint, Response, abort, flash, redirect, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts.access import role_required
from campaign.accounts.models import User
from campaign.builder import change_rules, change_views, changes, lifecycle
from campaign.builder.change_forms import RejectChangeForm
from campaign.builder.models import ChangeRequest
from campaign.campaigns import translations
from campaign.campaigns.models import Campaign
from campaign.campaigns.service import render_markdown
from campaign.extensions import db
from campaign.moderation import service
from campaign.moderation.forms import ApproveForm, ReasonForm
from campaign.moderation.fraud_routes import bp as fraud_bp
from campaign.moderation.pages import staff_page as _page

bp = Blueprint("moderation", __name__, url_prefix="/staff/moderation")
# Fraud review (trending reports, bulk invalidation): /staff/moderation/fraud/...
bp.register_blueprint(fraud_bp)
STAFF = ("staff", "admin")


def _staff() -> User:
    """The signed-in staff member (the route is guarded by role_required)."""
    return cast(User, current_user._get_current_object())


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
        changes=service.change_queue(),
        kind_labels=changes.KIND_LABELS,
        campaign_of=lambda change: db.session.get(Campaign, change.campaign_id),
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
        translations=[
            (t, render_markdown(t.body_markdown)) for t in translations.translations_of(campaign.id)
        ],
        outcome=lifecycle.outcome_of(campaign),
        history=service.history(campaign),
        waiting_changes=service.waiting_changes(campaign),
        kind_labels=changes.KIND_LABELS,
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
    done = gettext("“%(title)s” is approved: it is open.", title=campaign.title)
    return _decide(campaign, lambda: service.approve(campaign, _staff()), url_for("moderation.index"), done)


@bp.post("/<int:campaign_id>/reject")
@role_required(*STAFF)
def reject(campaign_id: int) -> BaseResponse:
    """Send a campaign back to its organizers with the reason, by email."""
    campaign = db.get_or_404(Campaign, campaign_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _review_page(campaign, 400, reject_form=form)
    reason = form.reason.data or ""
    done = gettext("“%(title)s” went back to its organizers with your reason.", title=campaign.title)
    return _decide(
        campaign, lambda: service.reject(campaign, _staff(), reason), url_for("moderation.index"), done
    )


@bp.post("/<int:campaign_id>/take-down")
@role_required(*STAFF)
def take_down(campaign_id: int) -> BaseResponse:
    """Hide a public campaign; the reason is recorded."""
    campaign = db.get_or_404(Campaign, campaign_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _review_page(campaign, 400, takedown_form=form)
    reason = form.reason.data or ""
    back = url_for("moderation.show", campaign_id=campaign.id)
    done = gettext("“%(title)s” is taken down.", title=campaign.title)
    return _decide(campaign, lambda: service.take_down(campaign, _staff(), reason), back, done)


def _decide(campaign: Campaign, decision: Callable[[], object], then: str, done: str) -> BaseResponse:
    """Carry out a staff decision on a campaign, then go to `then` saying it was `done`; a refused one
    shows the review again."""
    try:
        decision()
    except lifecycle.LifecycleError as problem:
        db.session.rollback()
        return _review_page(campaign, 409, problem=str(problem))
    db.session.commit()
    flash(done)
    return redirect(then, code=303)


def _change_or_404(change_id: int) -> tuple[ChangeRequest, Campaign]:
    """A change and its campaign; a 404 if there is no such change."""
    found = db.get_or_404(ChangeRequest, change_id)
    return found, db.session.get_one(Campaign, found.campaign_id)


@bp.get("/changes/<int:change_id>")
@role_required(*STAFF)
def change(change_id: int) -> Response:
    """A change to an approved campaign, as staff review it (they decide those sent to staff review)."""
    found, campaign = _change_or_404(change_id)
    return _change_page(found, campaign)


def _change_page(
    found: ChangeRequest,
    campaign: Campaign,
    status: int = 200,
    *,
    reject_form: RejectChangeForm | None = None,
    problem: str = "",
) -> Response:
    """Render a change's review page."""
    return _page(
        "change.html",
        status,
        campaign=campaign,
        view=change_views.view_of(found, campaign),
        may_decide=found.is_pending and change_rules.may_decide(_staff(), found),
        needs_two_factor=not change_rules.has_fresh_two_factor(),
        approve_form=ApproveForm(),
        reject_form=reject_form or RejectChangeForm(formdata=None),
        problem=problem,
        # A first outcome is emailed to the signers who asked for news: staff see how many, as of now.
        outcome_audience=change_views.outcome_audience_of(found, campaign),
    )


@bp.post("/changes/<int:change_id>/approve")
@role_required(*STAFF)
def approve_change(change_id: int) -> BaseResponse:
    """Approve a change sent to staff review (with a fresh second factor): it takes effect."""
    found, campaign = _change_or_404(change_id)
    if not ApproveForm().validate_on_submit():
        abort(400)
    here = url_for("moderation.change", change_id=found.id)
    try:
        changes.approve(found, _staff())
    except PermissionError:
        db.session.rollback()
        abort(403)
    except change_rules.NeedsTwoFactor:
        db.session.rollback()
        return redirect(change_views.second_factor_url(_staff(), here), code=303)
    except change_rules.ChangeError as problem:
        db.session.rollback()
        found, campaign = _change_or_404(change_id)
        return _change_page(found, campaign, 409, problem=str(problem))
    db.session.commit()
    return redirect(here, code=303)


@bp.post("/changes/<int:change_id>/reject")
@role_required(*STAFF)
def reject_change(change_id: int) -> BaseResponse:
    """Refuse a change sent to staff review, with the reason."""
    found, campaign = _change_or_404(change_id)
    form = RejectChangeForm()
    if not form.validate_on_submit():
        return _change_page(found, campaign, 400, reject_form=form)
    try:
        changes.reject(found, _staff(), form.reason.data or "")
    except PermissionError:
        db.session.rollback()
        abort(403)
    except change_rules.ChangeError as problem:
        db.session.rollback()
        found, campaign = _change_or_404(change_id)
        return _change_page(found, campaign, 409, problem=str(problem))
    db.session.commit()
    return redirect(url_for("moderation.change", change_id=found.id), code=303)
