"""The partners' pages: a campaign's owners invite and remove partner organizations; a partner's owners
accept or decline; a partner's members see the campaigns they co-host and their sign-ups.

A campaign's page is seen by the members of its organization (any other
organization gets a 404, so the campaign stays private); inviting and
removing are for its owners. An invitation is answered by the invited
organization's owners. Every step is audited (campaign.partners.service).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, send_file, url_for
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts import logos
from campaign.accounts.access import current_user_or_401, login_required, managed_campaign_or_404
from campaign.accounts.models import Organization
from campaign.builder import images
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.partners import access, queries, service
from campaign.partners.forms import STATUS_LABELS, InviteForm
from campaign.partners.models import CampaignPartner, PartnerStatus
from campaign.partners.public import partners_of

bp = Blueprint("partners", __name__)
# The campaign page's accepted partners (names, logos, consent boxes), read once per page version.
bp.add_app_template_global(partners_of, "campaign_partners")


@bp.get("/organize/campaigns/<int:campaign_id>/partners")
@login_required
def campaign_page(campaign_id: int) -> Response:
    """A campaign's partner organizations, and (for its owners) inviting and removing them."""
    return _campaign_page(managed_campaign_or_404(campaign_id, staff_too=False), InviteForm())


def _campaign_page(campaign: Campaign, form: InviteForm, status: int = 200) -> Response:
    """Render the campaign's partners page."""
    html = render_template(
        "partners/campaign.html",
        campaign=campaign,
        organization=db.session.get_one(Organization, campaign.organization_id),
        partners=queries.partners_of_campaign(campaign.id),
        is_owner=access.is_owner(current_user_or_401(), campaign.organization_id),
        form=form,
        labels=STATUS_LABELS,
        removable=(PartnerStatus.INVITED, PartnerStatus.ACCEPTED),
    )
    return Response(html, status)


def _owned_campaign(campaign_id: int) -> Campaign:
    """The campaign, if the user is one of its organization's owners: 404 for outsiders, 403 for members."""
    campaign = managed_campaign_or_404(campaign_id, staff_too=False)
    if not access.is_owner(current_user_or_401(), campaign.organization_id):
        abort(403)
    return campaign


@bp.post("/organize/campaigns/<int:campaign_id>/partners")
@login_required
def invite(campaign_id: int) -> BaseResponse:
    """Invite an organization to co-host the campaign (owners)."""
    campaign = _owned_campaign(campaign_id)
    form = InviteForm()
    if not form.validate_on_submit():
        return _campaign_page(campaign, form, 400)
    try:
        service.invite(campaign, form.organization.data or "", current_user_or_401())
    except service.PartnerError as problem:
        db.session.rollback()
        form.organization.errors = [str(problem)]
        return _campaign_page(campaign, form, 400)
    db.session.commit()
    return redirect(url_for("partners.campaign_page", campaign_id=campaign.id), code=303)


@bp.post("/organize/campaigns/<int:campaign_id>/partners/<int:organization_id>/remove")
@login_required
def remove(campaign_id: int, organization_id: int) -> BaseResponse:
    """Remove a partner, or withdraw its invitation (owners); audited."""
    campaign = _owned_campaign(campaign_id)
    partnership = queries.partnership_of(campaign.id, organization_id)
    if partnership is None:
        abort(404)
    try:
        service.remove(partnership, current_user_or_401())
    except service.PartnerError:
        abort(409)
    db.session.commit()
    return redirect(url_for("partners.campaign_page", campaign_id=campaign.id), code=303)


@bp.get("/organize/partners")
@login_required
def index() -> Response:
    """Invitations for the user's organizations, and the campaigns they co-host with their sign-ups."""
    user = current_user_or_401()
    html = render_template(
        "partners/index.html",
        invitations=queries.invitations_for(user),
        cohosted=queries.cohosted_by(user),
    )
    return Response(html)


def _answerable(partnership_id: int) -> CampaignPartner:
    """An invitation to one of the user's organizations: 404 for anyone else, 403 for members not owners."""
    partnership = queries.partnership_or_none(partnership_id)
    user = current_user_or_401()
    if partnership is None or not access.is_member(user, partnership.organization_id):
        abort(404)
    if not access.is_owner(user, partnership.organization_id):
        abort(403)
    return partnership


@bp.post("/organize/partners/<int:partnership_id>/accept")
@login_required
def accept(partnership_id: int) -> BaseResponse:
    """Accept an invitation to co-host (the partner's owners): its name and logo go on the page."""
    return _answer(partnership_id, accept=True)


@bp.post("/organize/partners/<int:partnership_id>/decline")
@login_required
def decline(partnership_id: int) -> BaseResponse:
    """Decline an invitation to co-host (the partner's owners)."""
    return _answer(partnership_id, accept=False)


def _answer(partnership_id: int, *, accept: bool) -> BaseResponse:
    """Answer an invitation, audited, and go back to the partners page."""
    partnership = _answerable(partnership_id)
    try:
        service.answer(partnership, current_user_or_401(), accept=accept)
    except service.PartnerError:
        abort(409)
    db.session.commit()
    return redirect(url_for("partners.index"), code=303)


@bp.get("/media/partner-logos/<name>")
def logo(name: str) -> Response:
    """The logo of an organization that co-hosts a public campaign (public, kept by caches for good)."""
    found = logos.organization_of_logo(name) if images.NAME_PATTERN.match(name) else None
    path = logos.path_of(name) if found is not None else None
    if found is None or path is None or not access.cohosts_a_public_campaign(found.id):
        abort(404)
    response = send_file(path, mimetype=images.MIME_TYPES[name.rpartition(".")[2]], conditional=True)
    # A new logo gets a new name, so a stored copy never goes stale.
    response.cache_control.public = True
    response.cache_control.max_age = 365 * 24 * 3600
    response.cache_control.immutable = True
    return response
