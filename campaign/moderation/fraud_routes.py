"""Staff fraud review: the trending reports, and bulk invalidation (dry-run count, then the run).

Nested in the moderation blueprint: /staff/moderation/fraud/..., endpoints moderation.fraud.*.
"""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from campaign.accounts.access import role_required, two_factor_fresh_required
from campaign.accounts.models import User
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.moderation import invalidation, trending
from campaign.moderation.criteria import Criteria, CriteriaError
from campaign.moderation.fraud_forms import InvalidationForm, RunForm
from campaign.moderation.models import InvalidationJob, TrendingReport
from campaign.moderation.pages import staff_page as _page
from campaign.validation import whole_number

bp = Blueprint("fraud", __name__, url_prefix="/fraud")
STAFF = ("staff", "admin")
# Running an invalidation changes many signatures: a second factor given within this long.
FRESH_TWO_FACTOR_SECONDS = 900


def _actor() -> str:
    """How the audit log names the signed-in staff member."""
    return f"user:{cast(User, current_user._get_current_object()).id}"


@bp.get("/")
@role_required(*STAFF)
def index() -> Response:
    """The latest trending reports and invalidations."""
    reports = trending.latest_reports()
    latest = reports[0] if reports else None
    return _page(
        "fraud_index.html",
        reports=reports,
        latest=latest,
        campaigns=trending.campaign_titles(latest.groups) if latest else {},
        jobs=invalidation.recent_jobs(),
    )


@bp.get("/reports/<int:report_id>")
@role_required(*STAFF)
def report(report_id: int) -> Response:
    """One hour's trending groups, each with a way to invalidate it."""
    found = db.get_or_404(TrendingReport, report_id)
    return _page("fraud_report.html", report=found, campaigns=trending.campaign_titles(found.groups))


def _form(**prefill: Any) -> InvalidationForm:
    """The criteria form, with every campaign to choose from."""
    form = InvalidationForm(**prefill)
    campaigns = db.session.execute(select(Campaign.id, Campaign.title).order_by(Campaign.title)).all()
    form.campaign_id.choices = [SelectChoice("0", gettext("Any campaign"))] + [
        SelectChoice(str(campaign_id), title) for campaign_id, title in campaigns
    ]
    return form


@bp.get("/invalidations")
@role_required(*STAFF)
def new_invalidation() -> Response:
    """The criteria form, filled in from a trending group when staff come from one."""
    prefill = {key: request.args[key] for key in ("address_range", "domain") if request.args.get(key)}
    form = _form(formdata=None, **prefill)
    campaign_id = whole_number(request.args.get("campaign_id", ""))
    if campaign_id is not None:
        form.campaign_id.data = campaign_id
    return _page("fraud_new.html", form=form)


@bp.post("/invalidations")
@role_required(*STAFF)
@two_factor_fresh_required(max_age_seconds=FRESH_TWO_FACTOR_SECONDS)
def count() -> BaseResponse:
    """Check the criteria and ask a worker to count what they match (the dry run)."""
    form = _form()
    if not form.validate():
        return _page("fraud_new.html", 400, form=form)
    try:
        criteria = Criteria.build(
            address_range=form.address_range.data or "",
            domain=form.domain.data or "",
            pattern=form.pattern.data or "",
            country=form.country.data or "",
            signed_from=form.signed_from.data,
            signed_to=form.signed_to.data,
            campaign_id=form.campaign_id.data or None,
            statuses=list(form.statuses.data or []),
        )
    except CriteriaError as error:
        form.form_errors.append(str(error))
        return _page("fraud_new.html", 400, form=form)
    user = cast(User, current_user._get_current_object())
    job = invalidation.request_count(criteria, actor=_actor(), user_id=user.id)
    db.session.commit()
    return redirect(url_for("moderation.fraud.show", job_id=job.id), code=303)


@bp.get("/invalidations/<int:job_id>")
@role_required(*STAFF)
def show(job_id: int) -> Response:
    """An invalidation: its count, the button that runs it, its progress."""
    return _show(db.get_or_404(InvalidationJob, job_id))


def _show(job: InvalidationJob, status: int = 200, problem: str = "") -> Response:
    """Render an invalidation's page."""
    criteria = Criteria.from_json(job.criteria).described()
    campaign = db.session.get(Campaign, criteria["campaign_id"]) if criteria.get("campaign_id") else None
    return _page(
        "fraud_job.html",
        status,
        job=job,
        criteria=criteria,
        campaign=campaign,
        form=RunForm(),
        problem=problem,
    )


@bp.post("/invalidations/<int:job_id>")
@role_required(*STAFF)
@two_factor_fresh_required(max_age_seconds=FRESH_TWO_FACTOR_SECONDS)
def run(job_id: int) -> BaseResponse:
    """Invalidate what was counted; a worker does it, the page shows how far it is."""
    job = db.get_or_404(InvalidationJob, job_id)
    if not RunForm().validate_on_submit():
        abort(400)
    try:
        invalidation.start(job_id, actor=_actor())
    except invalidation.InvalidationError as error:
        db.session.rollback()
        return _show(job, 409, problem=str(error))
    db.session.commit()
    return redirect(url_for("moderation.fraud.show", job_id=job_id), code=303)
