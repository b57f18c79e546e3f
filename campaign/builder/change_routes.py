"""Changes to a campaign after staff approved it, in the builder: closing, outcome, new words, decisions.

The routes of campaign.builder's blueprint that go through
campaign.builder.changes: an owner with a fresh second factor changes an
approved campaign at once; a member's change is kept, unapplied, until an
owner (or staff, as the organization chose) approves it. Owners also choose
here which of the two approves their members' changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from flask import Response, abort, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from campaign import labels
from campaign.accounts.access import current_user_or_401, login_required
from campaign.accounts.models import ChangeReview, Organization
from campaign.accounts.organizations import can_manage, can_view
from campaign.builder import change_queries, change_rules, change_views, changes, letters, lifecycle, settings
from campaign.builder.blueprint import bp, campaign_or_404, campaign_page, page, to_campaign
from campaign.builder.change_forms import ChangeReviewForm, LetterRevisionForm, RejectChangeForm, RevisionForm
from campaign.builder.forms import ButtonForm, OutcomeForm
from campaign.builder.models import ChangeKind, ChangeRequest, ChangeStatus
from campaign.campaigns.models import Campaign, OutcomeKind
from campaign.extensions import db
from campaign.targets.letters import PLACEHOLDERS
from campaign.updates import links


@bp.get("/organize/campaigns/<int:campaign_id>/close")
@login_required
def close_confirm(campaign_id: int) -> Response:
    """The one confirmation step before closing: a campaign closed takes no signature again."""
    campaign = campaign_or_404(campaign_id)
    is_owner = change_rules.is_trusted(current_user_or_401(), campaign)
    return page("close_confirm.html", campaign=campaign, form=ButtonForm(), is_owner=is_owner)


@bp.post("/organize/campaigns/<int:campaign_id>/close")
@login_required
def close(campaign_id: int) -> BaseResponse:
    """Close an open campaign by hand (a member's request waits for approval)."""
    campaign = campaign_or_404(campaign_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _propose(
        campaign, ChangeKind.CLOSE, {}, lambda problem: campaign_page(campaign, 409, problem=problem)
    )


@bp.post("/organize/campaigns/<int:campaign_id>/outcome")
@login_required
def outcome(campaign_id: int) -> BaseResponse:
    """Publish or correct the outcome shown on the campaign's page (a member's waits for approval).

    The first outcome is emailed to the signers who asked for news: the organizer is first told
    how many, and confirms.
    """
    campaign = campaign_or_404(campaign_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return campaign_page(campaign, 400, outcome_form=form)
    audience = settings.outcome_audience(campaign)
    if audience is not None and form.confirmed.data != "yes":
        return page(
            "outcome_confirm.html",
            campaign=campaign,
            form=form,
            audience=audience,
            outcome_html=links.page_html(form.text.data or ""),
            heading=labels.label(OutcomeKind(form.kind.data), "outcome"),
            is_owner=change_rules.is_trusted(current_user_or_401(), campaign),
        )
    payload = {"kind": OutcomeKind(form.kind.data).value, "text": form.text.data or ""}
    return _propose(
        campaign,
        ChangeKind.OUTCOME,
        payload,
        lambda problem: campaign_page(campaign, 409, outcome_form=form, problem=problem),
    )


@bp.route("/organize/campaigns/<int:campaign_id>/revise", methods=["GET", "POST"])
@login_required
def revise(campaign_id: int) -> BaseResponse:
    """New words for an approved campaign's page: title, summary and text (a member's wait for approval)."""
    campaign = campaign_or_404(campaign_id)
    if not lifecycle.is_public(campaign):
        return campaign_page(
            campaign, 409, problem=gettext("Only a campaign the public can see is revised here.")
        )
    form = RevisionForm(obj=campaign)
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return page("revise.html", status, campaign=campaign, form=form)
    payload = {
        "title": (form.title.data or "").strip(),
        "summary": (form.summary.data or "").strip(),
        "body_markdown": form.body_markdown.data or "",
    }
    return _propose(
        campaign,
        ChangeKind.TEXT,
        payload,
        lambda problem: page("revise.html", 409, campaign=campaign, form=form, problem=problem),
    )


@bp.route("/organize/campaigns/<int:campaign_id>/letter/revise", methods=["GET", "POST"])
@login_required
def revise_letter(campaign_id: int) -> BaseResponse:
    """New words for an approved campaign's letters (a member's wait for approval)."""
    campaign = campaign_or_404(campaign_id)
    if not campaign.is_letter:
        abort(404)
    if not lifecycle.is_public(campaign):
        return campaign_page(
            campaign, 409, problem=gettext("Only a campaign the public can see is revised here.")
        )
    approved = letters.settings_of(campaign)
    form = LetterRevisionForm(obj=approved, signers_may_edit_letter=approved.signers_may_edit_letter)
    context: dict[str, Any] = {
        "campaign": campaign,
        "form": form,
        "placeholders": PLACEHOLDERS,
        "whole_letter_limit": letters.WHOLE_LETTER_LIMIT,
    }
    if not form.validate_on_submit():
        return page("revise_letter.html", 400 if request.method == "POST" else 200, **context)
    payload = {
        "subject_template": (form.subject_template.data or "").strip(),
        "body_template": form.body_template.data or "",
    }
    return _propose(
        campaign,
        ChangeKind.LETTER,
        payload,
        lambda problem: page("revise_letter.html", 409, problem=problem, **context),
    )


def _propose(campaign: Campaign, kind: ChangeKind, payload: dict[str, Any], refused: Any) -> BaseResponse:
    """Propose a change; back to the campaign if it took effect, else to the change (or the second factor)."""
    try:
        change = changes.propose(campaign, current_user_or_401(), kind, payload)
    except (lifecycle.LifecycleError, change_rules.ChangeError) as problem:
        db.session.rollback()
        return cast(BaseResponse, refused(str(problem)))
    db.session.commit()
    return _after_proposal(campaign, change)


def _after_proposal(campaign: Campaign, change: ChangeRequest) -> BaseResponse:
    """Where an organizer goes once a change is recorded."""
    if change.status == ChangeStatus.APPROVED:
        return to_campaign(campaign)
    change_url = url_for("builder.change", campaign_id=campaign.id, change_id=change.id)
    if change_rules.is_trusted(current_user_or_401(), campaign):
        # An owner's own change waits only for their second factor: ask for it, then its page approves it.
        return second_factor_for(change_url)
    return redirect(change_url, code=303)


def second_factor_for(next_path: str) -> BaseResponse:
    """Send the user to give their second factor (or to turn it on), then back to next_path."""
    return redirect(change_views.second_factor_url(current_user_or_401(), next_path), code=303)


def _change_or_404(campaign: Campaign, change_id: int) -> ChangeRequest:
    """A change of this campaign; any other id is a 404."""
    change = change_queries.change_of(campaign, change_id)
    if change is None:
        abort(404)
    return change


@bp.get("/organize/campaigns/<int:campaign_id>/changes/<int:change_id>")
@login_required
def change(campaign_id: int, change_id: int) -> Response:
    """A proposed change: what it would publish, who proposed it, and the decision."""
    campaign = campaign_or_404(campaign_id)
    return _change_page(campaign, _change_or_404(campaign, change_id))


def _change_page(
    campaign: Campaign,
    found: ChangeRequest,
    status: int = 200,
    *,
    reject_form: RejectChangeForm | None = None,
    problem: str = "",
) -> Response:
    """Render a change's page in the builder."""
    user = current_user_or_401()
    return page(
        "change.html",
        status,
        campaign=campaign,
        view=change_views.view_of(found, campaign),
        may_decide=found.is_pending and change_rules.may_decide(user, found),
        may_withdraw=found.is_pending and found.proposed_by_id == user.id,
        needs_two_factor=not change_rules.has_fresh_two_factor(),
        button=ButtonForm(),
        reject_form=reject_form or RejectChangeForm(formdata=None),
        problem=problem,
        # The first outcome is emailed to the signers who asked for news: the approver is told how many.
        outcome_audience=change_views.outcome_audience_of(found, campaign),
    )


@bp.post("/organize/campaigns/<int:campaign_id>/changes/<int:change_id>/approve")
@login_required
def approve_change(campaign_id: int, change_id: int) -> BaseResponse:
    """An owner approves a waiting change (with a fresh second factor): it takes effect."""
    campaign = campaign_or_404(campaign_id)
    found = _change_or_404(campaign, change_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _decide(campaign, found, lambda: changes.approve(found, current_user_or_401()))


@bp.post("/organize/campaigns/<int:campaign_id>/changes/<int:change_id>/reject")
@login_required
def reject_change(campaign_id: int, change_id: int) -> BaseResponse:
    """An owner refuses a waiting change, with the reason."""
    campaign = campaign_or_404(campaign_id)
    found = _change_or_404(campaign, change_id)
    form = RejectChangeForm()
    if not form.validate_on_submit():
        return _change_page(campaign, found, 400, reject_form=form)
    user = current_user_or_401()
    return _decide(campaign, found, lambda: changes.reject(found, user, form.reason.data or ""))


@bp.post("/organize/campaigns/<int:campaign_id>/changes/<int:change_id>/withdraw")
@login_required
def withdraw_change(campaign_id: int, change_id: int) -> BaseResponse:
    """Its author takes back a waiting change."""
    campaign = campaign_or_404(campaign_id)
    found = _change_or_404(campaign, change_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _decide(campaign, found, lambda: changes.withdraw(found, current_user_or_401()))


def _decide(campaign: Campaign, found: ChangeRequest, act: Callable[[], object]) -> BaseResponse:
    """Run one decision on a waiting change and commit it; refusals roll back and say why."""
    try:
        act()
    except PermissionError:
        db.session.rollback()
        abort(403)
    except change_rules.NeedsTwoFactor:
        db.session.rollback()
        return second_factor_for(url_for("builder.change", campaign_id=campaign.id, change_id=found.id))
    except change_rules.ChangeError as problem:
        db.session.rollback()
        return _change_page(campaign, _change_or_404(campaign, found.id), 409, problem=str(problem))
    db.session.commit()
    return redirect(url_for("builder.change", campaign_id=campaign.id, change_id=found.id), code=303)


@bp.route("/organize/organizations/<int:organization_id>/review", methods=["GET", "POST"])
@login_required
def change_review(organization_id: int) -> BaseResponse:
    """Owners choose who approves members' changes to approved campaigns (fresh second factor; audited)."""
    organization = db.get_or_404(Organization, organization_id)
    user = current_user_or_401()
    if not can_view(user, organization):
        abort(404)
    form = ChangeReviewForm(data={"review": organization.change_review.value})
    context: dict[str, Any] = {
        "organization": organization,
        "form": form,
        "may_manage": can_manage(user, organization),
    }
    if request.method == "GET":
        return page("change_review.html", **context)
    if not can_manage(user, organization):
        abort(403)
    if not form.validate():
        return page("change_review.html", 400, **context)
    try:
        change_rules.set_review(organization, ChangeReview(form.review.data), user)
    except change_rules.NeedsTwoFactor:
        db.session.rollback()
        return second_factor_for(url_for("builder.change_review", organization_id=organization.id))
    db.session.commit()
    return redirect(url_for("builder.change_review", organization_id=organization.id), code=303)
