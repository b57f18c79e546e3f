"""Organizations: creating one, its members (removing one), inviting people, revoking and accepting
an invitation."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts import organizations, service, sessions
from campaign.accounts.access import current_user_or_401, login_required
from campaign.accounts.blueprint import bp, config_limit, page
from campaign.accounts.forms import InvitationForm, NewAccountForm, OrganizationForm
from campaign.accounts.models import Invitation, MemberRole, Organization
from campaign.audit.service import record
from campaign.extensions import db, limiter
from campaign.webhooks import summary as webhook_summary


@bp.route("/organizations", methods=["GET", "POST"])
@login_required
def organization_list() -> BaseResponse:
    """The user's organizations, and a form to start one."""
    user = current_user_or_401()
    form = OrganizationForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return page(
            "organizations.html", status, form=form, organizations=organizations.organizations_of(user)
        )
    organization = organizations.create_organization(form.name.data or "", user)
    db.session.commit()
    if form.then.data == "campaign":
        # A new organizer's first run (the builder's start page): on to the first campaign.
        flash(gettext("%(name)s is ready. Now start its first campaign.", name=organization.name), "success")
        return redirect(url_for("builder.new"), code=303)
    return redirect(url_for("accounts.organization", organization_id=organization.id), code=303)


def _visible_organization(organization_id: int) -> Organization:
    """The organization, if the user may see it; a 404 otherwise, so its existence stays private."""
    organization = db.get_or_404(Organization, organization_id)
    if not organizations.can_view(current_user_or_401(), organization):
        abort(404)
    return organization


@bp.get("/organizations/<int:organization_id>")
@login_required
def organization(organization_id: int) -> BaseResponse:
    """An organization's members and open invitations."""
    found = _visible_organization(organization_id)
    return _organization_page(found, InvitationForm(), 200)


def _organization_page(
    organization: Organization, form: InvitationForm, status: int, logo_problem: str = "", problem: str = ""
) -> BaseResponse:
    """Render the organization page (logo_problem: why an uploaded logo was refused; problem: why an
    action on its members was)."""
    return page(
        "organization.html",
        status,
        organization=organization,
        members=organizations.members(organization),
        invitations=organizations.pending_invitations(organization),
        can_manage=organizations.can_manage(current_user_or_401(), organization),
        # Owners see their webhooks' state and newest deliveries (the full log is on the webhooks page).
        webhooks=webhook_summary.summary_for(current_user_or_401(), organization),
        form=form,
        logo_problem=logo_problem,
        problem=problem,
    )


@bp.post("/organizations/<int:organization_id>/exports")
@login_required
def member_exports(organization_id: int) -> BaseResponse:
    """An owner lets members export the organization's signers (or stops them); audited."""
    return _set_policy(organization_id, "allows_member_exports", request.form.get("allow") == "yes")


@bp.post("/organizations/<int:organization_id>/two-factor")
@login_required
def member_two_factor(organization_id: int) -> BaseResponse:
    """An owner makes every member sign in with two-factor (or only owners again); audited."""
    return _set_policy(organization_id, "members_need_two_factor", request.form.get("require") == "yes")


# Each policy an owner sets, and the audit action that records it.
_POLICY_ACTIONS = {
    "allows_member_exports": ("organization.exports", "allowed"),
    "members_need_two_factor": ("organization.two_factor", "members_need_two_factor"),
}


def _set_policy(organization_id: int, policy: str, value: bool) -> BaseResponse:
    """Set one of the organization's member policies (owners only), audited, and go back to its page."""
    found = _visible_organization(organization_id)
    user = current_user_or_401()
    if not organizations.can_manage(user, found):
        abort(403)
    setattr(found, policy, value)
    action, detail = _POLICY_ACTIONS[policy]
    record(f"user:{user.id}", action, f"organization:{found.id}", **{detail: value})
    db.session.commit()
    return redirect(url_for("accounts.organization", organization_id=found.id), code=303)


@bp.post("/organizations/<int:organization_id>/invitations")
@login_required
@limiter.limit(config_limit("ACCOUNT_EMAIL_RATE_LIMIT"))
def invite(organization_id: int) -> BaseResponse:
    """Invite someone by email (owners, staff and admins)."""
    found = _visible_organization(organization_id)
    if not organizations.can_manage(current_user_or_401(), found):
        abort(403)
    form = InvitationForm()
    if not form.validate_on_submit():
        return _organization_page(found, form, 400)
    try:
        organizations.invite(found, form.email.data or "", MemberRole(form.role.data), current_user_or_401())
    except (service.InvalidEmail, organizations.TooManyInvitations) as problem:
        form.email.errors = [str(problem)]
        return _organization_page(found, form, 400)
    db.session.commit()
    return redirect(url_for("accounts.organization", organization_id=found.id), code=303)


def _managed_organization(organization_id: int) -> Organization:
    """The organization, if the user may manage its members (owners, staff); 404 or 403 otherwise."""
    found = _visible_organization(organization_id)
    if not organizations.can_manage(current_user_or_401(), found):
        abort(403)
    return found


@bp.post("/organizations/<int:organization_id>/members/<int:user_id>/remove")
@login_required
def remove_member(organization_id: int, user_id: int) -> BaseResponse:
    """Take a member out of the organization (owners, staff and admins), never its last owner; audited."""
    found = _managed_organization(organization_id)
    try:
        removed = organizations.remove_member(found, user_id, by=current_user_or_401())
    except organizations.LastOwner as problem:
        db.session.rollback()
        return _organization_page(found, InvitationForm(formdata=None), 409, problem=str(problem))
    if removed is None:
        abort(404)
    db.session.commit()
    flash(gettext("%(name)s is no longer a member.", name=removed.display_name))
    if removed.id == current_user_or_401().id:
        return redirect(url_for("accounts.organization_list"), code=303)  # they left: nothing to see here
    return redirect(url_for("accounts.organization", organization_id=found.id), code=303)


@bp.post("/organizations/<int:organization_id>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(organization_id: int, invitation_id: int) -> BaseResponse:
    """Withdraw a pending invitation (owners, staff and admins): its link stops working; audited."""
    found = _managed_organization(organization_id)
    revoked = organizations.revoke_invitation(found, invitation_id, by=current_user_or_401())
    if revoked is None:
        abort(404)
    db.session.commit()
    flash(gettext("The invitation to %(email)s is withdrawn: its link no longer works.", email=revoked.email))
    return redirect(url_for("accounts.organization", organization_id=found.id), code=303)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str) -> BaseResponse:
    """Accept an invitation: signed in with the invited address, or by creating the account."""
    try:
        found = organizations.invitation_for_token(token)
    except organizations.InvitationUnusable as problem:
        return page("bad_link.html", 400, message=str(problem))
    if current_user.is_authenticated:
        return _accept_signed_in(found, token)
    if service.user_by_email(found.email) is not None:
        return page("invitation.html", invitation=found, token=token, has_account=True)
    return _accept_new_account(found, token)


def _accept_signed_in(found: Invitation, token: str) -> BaseResponse:
    """Show the join button, or join."""
    if request.method == "GET":
        return page("invitation.html", invitation=found, token=token, has_account=True)
    try:
        organizations.accept(found, current_user_or_401())
    except organizations.InvitationUnusable as problem:
        return page("bad_link.html", 403, message=str(problem))
    db.session.commit()
    return redirect(url_for("accounts.organization", organization_id=found.organization_id), code=303)


def _accept_new_account(found: Invitation, token: str) -> BaseResponse:
    """Create the invited person's account and sign them in."""
    form = NewAccountForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return page("invitation.html", status, invitation=found, token=token, form=form, has_account=False)
    try:
        user = organizations.accept_as_new_user(found, form.display_name.data or "", form.password.data or "")
    except service.WeakPassword as problem:
        form.password.errors = [str(problem)]
        return page("invitation.html", 400, invitation=found, token=token, form=form, has_account=False)
    except service.DuplicateEmail:
        return page("invitation.html", 409, invitation=found, token=token, has_account=True)
    sessions.begin_session(user, two_factor_verified=False)
    db.session.commit()
    return redirect(url_for("accounts.organization", organization_id=found.organization_id), code=303)
