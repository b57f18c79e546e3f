"""Organizer pages (updates to signers, the dashboard) and the one-click unsubscribe link.

Sending an update is a change to an approved campaign (campaign.builder.changes):
an owner or staff with a fresh second factor sends it at once; a member's
waits, unsent, for an owner's approval or staff's, as the organization chose.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts.access import current_user_or_401, login_required, managed_campaign_or_404
from campaign.builder import change_queries, change_rules, change_views, changes
from campaign.builder.models import ChangeKind, ChangeRequest, ChangeStatus
from campaign.campaigns.models import Campaign
from campaign.extensions import csrf, db
from campaign.security import private
from campaign.updates import dashboard, links, messages, sending, service
from campaign.updates.forms import SendForm, UpdateForm
from campaign.updates.models import Update, UpdateStatus
from campaign.updates.tokens import read_unsubscribe_token

bp = Blueprint("updates", __name__)
# An update's Markdown may be long and, in Armenian or Arabic, several bytes a
# character, percent-encoded: more than the sign form's limit allows. The two
# forms that carry it check their CSRF token themselves (FlaskForm.validate),
# because the site-wide check would read the body before the limit is raised.
UPDATE_FORM_MAX_BYTES = 512 * 1024


def _update_or_404(campaign_id: int, update_id: int) -> tuple[Campaign, Update]:
    """A campaign the user manages and an update of it; any other id is a 404."""
    campaign = managed_campaign_or_404(campaign_id)
    found = db.session.get(Update, update_id)
    if found is None or found.campaign_id != campaign.id:
        abort(404)
    return campaign, found


def _to_update(found: Update) -> BaseResponse:
    """Commit, then go to the update's page."""
    db.session.commit()
    return redirect(url_for("updates.show", campaign_id=found.campaign_id, update_id=found.id), code=303)


def _page(template: str, status: int = 200, **context: Any) -> Response:
    """An organizer's or a signer's private page (the signer's comes by a link, maybe without a session)."""
    return private(Response(render_template(f"updates/{template}", **context), status=status))


@bp.before_request
def _allow_long_updates() -> None:
    """Let the update forms carry a long message."""
    if request.endpoint in ("updates.create", "updates.edit"):
        request.max_content_length = UPDATE_FORM_MAX_BYTES


@bp.get("/organize/overview")
@login_required
def campaigns() -> Response:
    """The campaigns the user may manage, each with its dashboard and updates."""
    return _page("campaigns.html", campaigns=service.manageable_campaigns(current_user_or_401()))


@bp.get("/organize/campaigns/<int:campaign_id>/dashboard")
@login_required
def show_dashboard(campaign_id: int) -> Response:
    """The campaign's figures: signatures over time, by country and source, mail and letters."""
    campaign = managed_campaign_or_404(campaign_id)
    return _page("dashboard.html", board=dashboard.build(campaign))


@bp.get("/organize/campaigns/<int:campaign_id>/updates")
@login_required
def index(campaign_id: int) -> Response:
    """The campaign's updates, and the form for a new one."""
    campaign = managed_campaign_or_404(campaign_id)
    return _index(campaign, UpdateForm())


def _index(campaign: Campaign, form: UpdateForm, status: int = 200) -> Response:
    """Render the updates page."""
    return _page(
        "index.html",
        status,
        campaign=campaign,
        form=form,
        updates=service.updates_of(campaign.id),
        recipients=sending.count_recipients(campaign.id),
    )


@bp.post("/organize/campaigns/<int:campaign_id>/updates")
@csrf.exempt
@login_required
def create(campaign_id: int) -> BaseResponse:
    """Save a new update as a draft, then show its preview."""
    campaign = managed_campaign_or_404(campaign_id)
    form = UpdateForm()
    if not form.validate():
        return _index(campaign, form, 400)
    user = current_user_or_401()
    return _to_update(service.create_draft(campaign, user, form.subject.data or "", form.body.data or ""))


@bp.get("/organize/campaigns/<int:campaign_id>/updates/<int:update_id>")
@login_required
def show(campaign_id: int, update_id: int) -> Response:
    """A draft's preview with its edit and send forms, or the progress of sending; refreshes while sending."""
    campaign, found = _update_or_404(campaign_id, update_id)
    form = UpdateForm(data={"subject": found.subject, "body": found.body_markdown})
    return _show(campaign, found, form)


def _show(
    campaign: Campaign, found: Update, form: UpdateForm, status: int = 200, error: str = ""
) -> Response:
    """Render an update's page."""
    is_draft = found.status == UpdateStatus.DRAFT
    waiting = change_queries.waiting_update(found.id) if is_draft else None
    return _page(
        "show.html",
        status,
        campaign=campaign,
        update=found,
        form=form,
        send_form=SendForm(),
        error=error,
        waiting=waiting,
        waiting_path=_change_path(campaign, waiting) if waiting is not None else None,
        waits_for=change_views.view_of(waiting, campaign).waits_for if waiting is not None else "",
        preview_html=links.page_html(found.body_markdown),
        email_text=_sample_email(campaign, found),
        recipients=sending.count_recipients(campaign.id) if is_draft else found.total_recipients,
        is_sending=found.status == UpdateStatus.SENDING,
        delivery=None if is_draft else dashboard.delivery_of(found.id),
    )


def _sample_email(campaign: Campaign, found: Update) -> str:
    """The plain-text email as a signer named Anahit would receive it."""
    sender = messages.sender_name(campaign)
    return messages.email_body(found, campaign, sender, "Anahit", "https://…/u/…")


@bp.post("/organize/campaigns/<int:campaign_id>/updates/<int:update_id>/edit")
@csrf.exempt
@login_required
def edit(campaign_id: int, update_id: int) -> BaseResponse:
    """Change a draft, then show its preview again."""
    campaign, found = _update_or_404(campaign_id, update_id)
    form = UpdateForm()
    if not form.validate():
        return _show(campaign, found, form, 400)
    if change_queries.waiting_update(found.id) is not None:
        return _show(
            campaign, found, form, 409, gettext("Sending it waits for approval: withdraw that to change it.")
        )
    try:
        service.edit_draft(found, form.subject.data or "", form.body.data or "")
    except service.UpdateError as error:
        db.session.rollback()
        return _show(campaign, found, form, 409, str(error))
    return _to_update(found)


@bp.post("/organize/campaigns/<int:campaign_id>/updates/<int:update_id>/send")
@login_required
def send(campaign_id: int, update_id: int) -> BaseResponse:
    """Send a draft to its signers (a member's waits for approval); a worker queues it. Twice sends once."""
    campaign, found = _update_or_404(campaign_id, update_id)
    form = SendForm()
    if not form.validate():
        return _show(campaign, found, UpdateForm(), 400)
    back = url_for("updates.show", campaign_id=campaign.id, update_id=found.id)
    if found.status != UpdateStatus.DRAFT or change_queries.waiting_update(found.id) is not None:
        return redirect(back, code=303)
    payload = {"subject": found.subject, "body_markdown": found.body_markdown}
    user = current_user_or_401()
    try:
        change = changes.propose(campaign, user, ChangeKind.UPDATE, payload, found)
    except change_rules.ChangeError as problem:
        db.session.rollback()
        return _show(campaign, found, UpdateForm(), 409, str(problem))
    db.session.commit()
    if change.status != ChangeStatus.APPROVED and change_rules.is_trusted(user, campaign):
        # Their own change waits only for their second factor; its page then approves it.
        return redirect(change_views.second_factor_url(user, _change_path(campaign, change)), code=303)
    return redirect(back, code=303)


def _change_path(campaign: Campaign, change: ChangeRequest) -> str:
    """Where a change of this campaign is decided: in the builder for members, in moderation for staff."""
    user = current_user_or_401()
    if change_rules.is_owner(user, campaign) or not user.is_staff:
        return url_for("builder.change", campaign_id=campaign.id, change_id=change.id)
    return url_for("moderation.change", change_id=change.id)


@bp.get("/u/<token>")
def unsubscribe_page(token: str) -> Response:
    """Offer the unsubscribe button; a GET changes nothing, since mail scanners follow links."""
    subscription = read_unsubscribe_token(token)
    campaign = db.session.get(Campaign, subscription.campaign_id) if subscription else None
    if subscription is None or campaign is None:
        return _page("bad_link.html", 400)
    is_done = service.is_unsubscribed(campaign.id, subscription.person_id)
    return _page("unsubscribe.html", campaign=campaign, token=token, is_done=is_done)


@bp.post("/u/<token>")
@csrf.exempt
def unsubscribe(token: str) -> Response:
    """Unsubscribe at once (RFC 8058 one-click): the signed token is the only credential, no cookie needed."""
    subscription = read_unsubscribe_token(token)
    if subscription is None or not service.unsubscribe(subscription.campaign_id, subscription.person_id):
        db.session.rollback()
        return _page("bad_link.html", 400)
    db.session.commit()
    campaign = db.session.get_one(Campaign, subscription.campaign_id)
    return _page("unsubscribe.html", campaign=campaign, token=token, is_done=True)
