"""Staff pages to manage accounts: list, create, invite again, disable, change role, reset two-factor;
each audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from campaign import labels
from campaign.accounts import second_factor, service, staff_accounts
from campaign.accounts.access import current_user_or_401, role_required, two_factor_fresh_required
from campaign.accounts.blueprint import bp, config_limit, page
from campaign.accounts.forms import RoleForm, StaffUserForm
from campaign.accounts.models import Role, User
from campaign.extensions import db, limiter
from campaign.validation import page_number

STAFF = ("staff", "admin")
# Accounts are the keys to supporters' data: acting on them asks for a recent second factor.
FRESH_TWO_FACTOR_SECONDS = 900


def _actor() -> str:
    """The signed-in staff member, as the audit log names them."""
    return f"user:{current_user_or_401().id}"


def _offering_what_may_be_given(form: Any, target: User | None) -> Any:
    """The form, its roles cut to those the signed-in account may give (staff: not staff or admin).
    Only what the page offers: a post is still checked by staff_accounts.check_may_manage."""
    actor = current_user_or_401()
    choices = form.role.choices
    form.role.choices = [c for c in choices if staff_accounts.may_manage(actor, target, Role(c.value))]
    return form


def _target(user_id: int) -> User:
    """The account acted on; 404 if there is none."""
    return db.get_or_404(User, user_id)


def _user_page(
    user: User, form: RoleForm | None = None, status: int = 200, failure: str = ""
) -> BaseResponse:
    """One account, with the actions staff may take on it."""
    return page(
        "staff_user.html",
        status,
        target=user,
        form=_offering_what_may_be_given(form or RoleForm(role=user.role.value), user),
        may_manage=staff_accounts.may_manage(current_user_or_401(), user),
        failure=failure,
        needs_two_factor=second_factor.needs_two_factor(user),
        history=staff_accounts.account_history(user),
    )


@bp.get("/staff/users")
@role_required(*STAFF)
@two_factor_fresh_required(FRESH_TWO_FACTOR_SECONDS)
def staff_users() -> BaseResponse:
    """The accounts (searched by address), and a form to make one."""
    return _list_page(StaffUserForm(), 200)


def _list_page(form: StaffUserForm, status: int, failure: str = "") -> BaseResponse:
    """Render the list of accounts: searched by address, filtered by role and state, a page at a time."""
    text = request.args.get("q", "")[:320]
    role = request.args.get("role", "")
    state = request.args.get("state", "")
    number = page_number(request.args)
    found = staff_accounts.find_users(text, role, state, number)
    return page(
        "staff_users.html",
        status,
        users=found.users,
        has_next=found.has_next,
        page_number=number,
        form=_offering_what_may_be_given(form, None),
        query=text,
        role=role,
        state=state,
        failure=failure,
    )


@bp.post("/staff/users")
@role_required(*STAFF)
@two_factor_fresh_required(FRESH_TWO_FACTOR_SECONDS, return_to="accounts.staff_users")
def staff_user_create() -> BaseResponse:
    """Make an account; its owner is emailed a link to choose a password."""
    form = StaffUserForm()
    if not form.validate_on_submit():
        return _list_page(form, 400)
    role = Role(form.role.data)
    try:
        staff_accounts.check_may_manage(current_user_or_401(), None, role)
        user = staff_accounts.create_user_by_staff(
            form.email.data or "", role, form.display_name.data or "", actor=_actor()
        )
    except staff_accounts.NotAllowed as problem:
        return _list_page(form, 403, failure=str(problem))
    except (service.InvalidEmail, service.DuplicateEmail) as problem:
        form.email.errors = [str(problem)]
        return _list_page(form, 400)
    db.session.commit()
    flash(
        gettext(
            "The account of %(email)s was made; they were emailed a link to choose a password.",
            email=user.email,
        )
    )
    return redirect(url_for("accounts.staff_user", user_id=user.id), code=303)


@bp.get("/staff/users/<int:user_id>")
@role_required(*STAFF)
@two_factor_fresh_required(FRESH_TWO_FACTOR_SECONDS)
def staff_user(user_id: int) -> BaseResponse:
    """One account and what staff may do with it."""
    return _user_page(_target(user_id))


def _act(user_id: int, act: Callable[[User], Any], done: str, role: Role | None = None) -> BaseResponse:
    """Check that this staff member may act on the account, act (the service audits), commit, say so."""
    user = _target(user_id)
    try:
        staff_accounts.check_may_manage(current_user_or_401(), user, role)
    except staff_accounts.NotAllowed as problem:
        return _user_page(user, status=403, failure=str(problem))
    act(user)
    db.session.commit()
    flash(done)
    return redirect(url_for("accounts.staff_user", user_id=user.id), code=303)


@bp.get("/staff/users/<int:user_id>/disable")
@role_required(*STAFF)
@two_factor_fresh_required(FRESH_TWO_FACTOR_SECONDS)
def staff_user_disable_confirm(user_id: int) -> BaseResponse:
    """Ask to confirm disabling an account, saying what it ends (the button posts to the route below)."""
    user = _target(user_id)
    try:
        staff_accounts.check_may_manage(current_user_or_401(), user)
    except staff_accounts.NotAllowed as problem:
        return _user_page(user, status=403, failure=str(problem))
    if not user.is_active:
        return redirect(url_for("accounts.staff_user", user_id=user.id), code=303)
    return page("staff_user_disable.html", target=user, effects=staff_accounts.disabling_effects(user))


@bp.post("/staff/users/<int:user_id>/disable")
@role_required(*STAFF)
@two_factor_fresh_required(FRESH_TWO_FACTOR_SECONDS, return_to="accounts.staff_user")
def staff_user_disable(user_id: int) -> BaseResponse:
    """Stop the account: its sessions end and its API tokens are revoked."""
    return _act(
        user_id,
        lambda user: staff_accounts.disable_user(user, actor=_actor()),
        gettext("The account is disabled: its sessions ended and its API tokens were revoked."),
    )


@bp.post("/staff/users/<int:user_id>/enable")
@role_required(*STAFF)
@two_factor_fresh_required(FRESH_TWO_FACTOR_SECONDS, return_to="accounts.staff_user")
def staff_user_enable(user_id: int) -> BaseResponse:
    """Let a disabled account sign in again."""
    return _act(
        user_id,
        lambda user: staff_accounts.enable_user(user, actor=_actor()),
        gettext("The account may sign in again."),
    )


@bp.post("/staff/users/<int:user_id>/role")
@role_required(*STAFF)
@two_factor_fresh_required(FRESH_TWO_FACTOR_SECONDS, return_to="accounts.staff_user")
def staff_user_role(user_id: int) -> BaseResponse:
    """Give the account another platform role."""
    form = RoleForm()
    if not form.validate_on_submit():
        return _user_page(_target(user_id), form, 400)
    role = Role(form.role.data)
    return _act(
        user_id,
        lambda user: staff_accounts.change_role(user, role, actor=_actor()),
        gettext("The account's role is now %(role)s.", role=labels.label(role, "role")),
        role,
    )


@bp.post("/staff/users/<int:user_id>/two-factor/reset")
@role_required(*STAFF)
@two_factor_fresh_required(FRESH_TWO_FACTOR_SECONDS, return_to="accounts.staff_user")
def staff_user_two_factor_reset(user_id: int) -> BaseResponse:
    """Switch the account's two-factor off (a lost phone): its sessions end and it enrols again."""
    user = _target(user_id)
    if not user.has_two_factor:
        abort(409, gettext("This account has no two-factor to reset."))
    return _act(
        user_id,
        lambda found: staff_accounts.reset_two_factor(found, actor=_actor()),
        gettext("Two-factor is off for this account; it will be asked to enrol again at its next sign-in."),
    )


@bp.post("/staff/users/<int:user_id>/invite")
@role_required(*STAFF)
@two_factor_fresh_required(FRESH_TWO_FACTOR_SECONDS, return_to="accounts.staff_user")
@limiter.limit(config_limit("ACCOUNT_EMAIL_RATE_LIMIT"))
def staff_user_invite(user_id: int) -> BaseResponse:
    """Email again the link to choose a password, to someone who never signed in."""
    user = _target(user_id)
    try:
        staff_accounts.check_may_manage(current_user_or_401(), user)
    except staff_accounts.NotAllowed as problem:
        return _user_page(user, status=403, failure=str(problem))
    try:
        sent = staff_accounts.resend_invitation(user, actor=_actor())
    except staff_accounts.NotAllowed as problem:
        return _user_page(user, status=409, failure=str(problem))
    db.session.commit()
    if sent:
        flash(gettext("A new link to choose a password was emailed to %(email)s.", email=user.email))
    else:
        flash(
            gettext(
                "No email was sent: %(email)s was sent a link in the last few minutes,"
                " or has had as much mail as it may for now.",
                email=user.email,
            )
        )
    return redirect(url_for("accounts.staff_user", user_id=user.id), code=303)
