"""An organization's logo: uploaded or removed by an owner on the organization's page, and served.

The upload is larger than the site-wide request limit, which the site-wide
CSRF check would apply while reading the form: these two views check CSRF
through their form instead, after raising the limit for their request.
"""

from __future__ import annotations

from flask import Response, abort, redirect, request, send_file, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts import logos, organizations
from campaign.accounts.access import current_user_or_401, login_required, signed_in_user
from campaign.accounts.blueprint import bp
from campaign.accounts.forms import InvitationForm, LogoForm
from campaign.accounts.models import Organization
from campaign.accounts.organization_routes import _organization_page
from campaign.builder import images
from campaign.extensions import csrf, db

# The form's fields and multipart framing, besides the image itself.
FORM_OVERHEAD_BYTES = 64 * 1024


@bp.before_request
def _allow_logo_uploads() -> None:
    """Let a logo upload be as large as a campaign image may be."""
    if request.endpoint == "accounts.upload_logo":
        request.max_content_length = images.max_bytes() + FORM_OVERHEAD_BYTES


def _managed_organization(organization_id: int) -> Organization:
    """The organization, if the signed-in user is one of its owners (or staff); 404 or 403 otherwise."""
    found = db.get_or_404(Organization, organization_id)
    user = current_user_or_401()
    if not organizations.can_view(user, found):
        abort(404)
    if not organizations.can_manage(user, found):
        abort(403)
    return found


def _with_problem(organization: Organization, problem: str) -> BaseResponse:
    """The organization's page again, saying what was wrong with the upload."""
    return _organization_page(organization, InvitationForm(formdata=None), 400, logo_problem=problem)


def _back(organization: Organization) -> BaseResponse:
    """Back to the organization's page (after a POST)."""
    return redirect(url_for("accounts.organization", organization_id=organization.id), code=303)


@bp.post("/organizations/<int:organization_id>/logo")
@csrf.exempt  # checked by LogoForm, once the request limit is raised (see above)
@login_required
def upload_logo(organization_id: int) -> BaseResponse:
    """Check, clean and store a new logo for the organization (owners)."""
    found = _managed_organization(organization_id)
    form = LogoForm()
    if not form.validate_on_submit():
        messages = [str(message) for field in form.errors.values() for message in field]
        return _with_problem(found, " ".join(messages) or gettext("Please choose an image."))
    try:
        clean = logos.clean(form.logo.data.stream)
    except images.BadImage as problem:
        return _with_problem(found, str(problem))
    old = logos.replace(found, clean, current_user_or_401())
    db.session.commit()
    logos.delete(old)
    return _back(found)


@bp.post("/organizations/<int:organization_id>/logo/delete")
@login_required
def delete_logo(organization_id: int) -> BaseResponse:
    """Take the organization's logo off (owners); audited."""
    found = _managed_organization(organization_id)
    old = logos.remove(found, current_user_or_401())
    db.session.commit()
    logos.delete(old)
    return _back(found)


@bp.get("/media/organization-logos/<name>")
def logo(name: str) -> Response:
    """An organization's logo: public once it runs a public campaign, to its members and staff before."""
    found = logos.organization_of_logo(name) if images.NAME_PATTERN.match(name) else None
    path = logos.path_of(name) if found is not None else None
    if found is None or path is None:
        abort(404)
    is_public = logos.is_public(found)
    if not is_public and not logos.may_see(signed_in_user(), found):
        abort(404)
    response = send_file(path, mimetype=images.MIME_TYPES[name.rpartition(".")[2]], conditional=True)
    if is_public:
        # A new logo gets a new name, so a stored copy never goes stale.
        response.cache_control.public = True
        response.cache_control.max_age = 365 * 24 * 3600
        response.cache_control.immutable = True
    else:
        response.headers["Cache-Control"] = "private, no-store"
    return response
