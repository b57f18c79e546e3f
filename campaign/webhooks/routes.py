"""The owner's webhooks page: endpoints, their secrets (shown once), the delivery log."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts import organizations
from campaign.accounts.access import current_user_or_401, login_required, two_factor_fresh_required
from campaign.accounts.models import MemberRole, Organization
from campaign.extensions import db
from campaign.webhooks import reasons, service
from campaign.webhooks.forms import EVENT_LABELS, EndpointForm
from campaign.webhooks.models import WebhookEndpoint

bp = Blueprint("webhooks", __name__, url_prefix="/organizations/<int:organization_id>/webhooks")
F = TypeVar("F", bound=Callable[..., Any])
# How recently the owner must have given the second factor (as for exports).
FRESH_SECONDS = 900


def _owner_only(view: F) -> F:
    """Owners only: a 404 to non-members (the organization stays unseen), a 403 to other members and staff."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        """Check, then run the view."""
        user = current_user_or_401()
        organization = db.get_or_404(Organization, kwargs["organization_id"])
        if not organizations.can_view(user, organization):
            abort(404)
        membership = organizations.membership(user, organization.id)
        if membership is None or membership.role != MemberRole.OWNER:
            abort(403)
        return view(*args, **kwargs)

    return cast(F, wrapped)


def _organization(organization_id: int) -> Organization:
    """The organization of the URL (the decorator checked it exists)."""
    return db.get_or_404(Organization, organization_id)


def _endpoint(organization: Organization, endpoint_id: int) -> WebhookEndpoint:
    """One of the organization's endpoints; 404 for anyone else's."""
    found = service.endpoint_of(organization, endpoint_id)
    if found is None:
        abort(404)
    return found


def _page(
    organization: Organization,
    form: EndpointForm,
    status: int = 200,
    secret: str | None = None,
    secret_endpoint: WebhookEndpoint | None = None,
) -> BaseResponse:
    """Render the webhooks page; a secret shown once is never cached."""
    response = render_template(
        "webhooks/endpoints.html",
        organization=organization,
        endpoints=service.endpoints_of(organization),
        deliveries=service.recent_deliveries(organization),
        event_labels=EVENT_LABELS,
        reason_of=reasons.describe,
        form=form,
        secret=secret,
        secret_endpoint=secret_endpoint,
    )
    answer = BaseResponse(response, status, mimetype="text/html")
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _actor() -> str:
    """The signed-in owner, as the audit log names them."""
    return f"user:{current_user_or_401().id}"


@bp.get("")
@login_required
@_owner_only
@two_factor_fresh_required(max_age_seconds=FRESH_SECONDS)
def endpoints(organization_id: int) -> BaseResponse:
    """The organization's endpoints, a form to add one, and the delivery log."""
    return _page(_organization(organization_id), EndpointForm())


@bp.post("")
@login_required
@_owner_only
@two_factor_fresh_required(max_age_seconds=FRESH_SECONDS, return_to="webhooks.endpoints")
def add(organization_id: int) -> BaseResponse:
    """Register an endpoint; its secret is shown on the answer, once."""
    organization = _organization(organization_id)
    form = EndpointForm()
    if not form.validate_on_submit():
        return _page(organization, form, 400)
    try:
        endpoint, secret = service.add_endpoint(
            organization, form.url.data or "", form.events.data or [], _actor(), current_user_or_401().id
        )
    except service.InvalidEndpoint as problem:
        form.url.errors = [str(problem)]
        return _page(organization, form, 400)
    db.session.commit()
    return _page(organization, EndpointForm(formdata=None), 201, secret, endpoint)


@bp.post("/<int:endpoint_id>/secret")
@login_required
@_owner_only
@two_factor_fresh_required(max_age_seconds=FRESH_SECONDS, return_to="webhooks.endpoints")
def rotate(organization_id: int, endpoint_id: int) -> BaseResponse:
    """Give the endpoint a new secret, shown on the answer, once; the old one stops signing now."""
    organization = _organization(organization_id)
    endpoint = _endpoint(organization, endpoint_id)
    secret = service.rotate_secret(endpoint, _actor())
    db.session.commit()
    return _page(organization, EndpointForm(formdata=None), 200, secret, endpoint)


@bp.post("/<int:endpoint_id>/remove")
@login_required
@_owner_only
@two_factor_fresh_required(max_age_seconds=FRESH_SECONDS, return_to="webhooks.endpoints")
def remove(organization_id: int, endpoint_id: int) -> BaseResponse:
    """Remove the endpoint; nothing more is sent to it."""
    organization = _organization(organization_id)
    service.remove_endpoint(_endpoint(organization, endpoint_id), _actor())
    db.session.commit()
    flash(_("The endpoint was removed."))
    return redirect(url_for("webhooks.endpoints", organization_id=organization.id), code=303)


@bp.post("/<int:endpoint_id>/enable")
@login_required
@_owner_only
@two_factor_fresh_required(max_age_seconds=FRESH_SECONDS, return_to="webhooks.endpoints")
def enable(organization_id: int, endpoint_id: int) -> BaseResponse:
    """Turn a disabled endpoint back on: it is sent the events from now on."""
    organization = _organization(organization_id)
    endpoint = _endpoint(organization, endpoint_id)
    try:
        service.enable_endpoint(endpoint, _actor())
    except service.InvalidEndpoint as problem:
        flash(str(problem))
        return redirect(url_for("webhooks.endpoints", organization_id=organization.id), code=303)
    db.session.commit()
    flash(_("The endpoint is on again."))
    return redirect(url_for("webhooks.endpoints", organization_id=organization.id), code=303)
