"""Signing in and out, two-factor, passwords and the account page. Organizations: organization_routes."""

from __future__ import annotations

from collections.abc import Callable

from flask import Response, redirect, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts import lockout, password_reset, second_factor, service, sessions, two_factor

# These add their routes to bp: organization logos, organizations and invitations, staff's pages of users.
from campaign.accounts import logo_routes as logo_routes
from campaign.accounts import organization_routes as organization_routes
from campaign.accounts import staff_routes as staff_routes
from campaign.accounts.access import current_user_or_401, login_required, safe_next, two_factor_fresh_required
from campaign.accounts.blueprint import bp, config_limit, page
from campaign.accounts.forms import LoginForm, NewPasswordForm, PasswordRequestForm, TwoFactorForm
from campaign.accounts.models import User
from campaign.extensions import db, limiter

WRONG_CREDENTIALS = lazy_gettext("The email address or the password is not right.")
WRONG_CODE = lazy_gettext("That code did not work. Codes change every 30 seconds and each works only once.")


def landing(next_path: str | None) -> BaseResponse:
    """Where to go after signing in: the page asked for, if it is on this site, else the account page."""
    return redirect(safe_next(next_path) or url_for("accounts.account"), code=303)


def wait_page(seconds: int) -> Response:
    """Too many failures from this client for this account: say how long to wait."""
    db.session.commit()  # releases the pair's row
    response = page("too_many_requests.html", 429, wait_minutes=max(1, -(-seconds // 60)))
    response.headers["Retry-After"] = str(seconds)
    return response


def _code_refusal(user: User, form: TwoFactorForm, refused: Callable[[], Response]) -> BaseResponse | None:
    """None when the form's code is right (this client's failures are then forgotten); else the answer.

    While this client backs off, the answer is how long to wait; a wrong code is
    counted against this user and client, and `refused()` says so.
    """
    wait = lockout.wait_seconds(lockout.CODE_STEP, str(user.id))
    if wait:
        return wait_page(wait)
    if not second_factor.check_second_factor(user, form.code.data or ""):
        lockout.record_failure(lockout.CODE_STEP, str(user.id), user.canonical_email, user)
        db.session.commit()
        return refused()
    lockout.forget(lockout.CODE_STEP, str(user.id))
    return None


def _code_page(user: User, form: TwoFactorForm, template: str) -> BaseResponse | None:
    """The page asking for a code again (form not valid, a wait, a wrong code); None once it is right."""
    if not form.validate_on_submit():
        return page(template, 400 if request.method == "POST" else 200, form=form)
    return _code_refusal(user, form, lambda: page(template, 401, form=form, failure=WRONG_CODE))


@bp.route("/login", methods=["GET", "POST"])
def login() -> BaseResponse:
    """Check email and password (this client backs off after failures); then the second factor, or sign in."""
    form = LoginForm(next=request.args.get("next", ""))
    if request.method == "GET" and current_user.is_authenticated:
        return landing(form.next.data)
    if not form.validate_on_submit():
        return page("login.html", 400 if request.method == "POST" else 200, form=form)
    account = service.canonical_email(form.email.data or "")
    # Asked before the password is looked at, so a refusal tells nothing about it.
    wait = lockout.wait_seconds(lockout.CREDENTIALS_STEP, account)
    if wait:
        return wait_page(wait)
    user = service.authenticate(form.email.data or "", form.password.data or "")
    if user is None:
        lockout.record_failure(lockout.CREDENTIALS_STEP, account, account, service.user_by_email(account))
        db.session.commit()
        return page("login.html", 401, form=form, failure=WRONG_CREDENTIALS)
    lockout.forget(lockout.CREDENTIALS_STEP, account)
    next_path = safe_next(form.next.data)
    if user.has_two_factor:
        second_factor.begin_two_factor_challenge(user, next_path)
        db.session.commit()
        return redirect(url_for("accounts.two_factor_login"), code=303)
    sessions.begin_session(user, two_factor_verified=False)
    db.session.commit()
    if second_factor.needs_two_factor(user):
        return redirect(url_for("accounts.two_factor_setup", next=next_path), code=303)
    return landing(next_path)


@bp.route("/login/two-factor", methods=["GET", "POST"])
def two_factor_login() -> BaseResponse:
    """The second step of signing in: a code from the app, or a recovery code."""
    pending = second_factor.pending_login()
    if pending is None:
        return redirect(url_for("accounts.login"), code=303)
    user, next_path = pending
    form = TwoFactorForm()
    asked_again = _code_page(user, form, "two_factor_login.html")
    if asked_again is not None:
        return asked_again
    sessions.begin_session(user, two_factor_verified=True)
    db.session.commit()
    return landing(next_path)


@bp.post("/logout")
def logout() -> BaseResponse:
    """Sign out (a POST with its CSRF token, so no link or image can sign anyone out)."""
    sessions.end_session()
    db.session.commit()
    return redirect(url_for("campaigns.index"), code=303)


@bp.get("/account")
@login_required
def account() -> Response:
    """The account page: two-factor and sessions."""
    return _account_page(current_user_or_401(), TwoFactorForm(), 200)


def _account_page(user: User, form: TwoFactorForm, status: int, failure: str = "") -> Response:
    """Render the account page."""
    return page(
        "account.html",
        status,
        user=user,
        form=form,
        failure=failure,
        needs_two_factor=second_factor.needs_two_factor(user),
    )


@bp.post("/account/sessions/end")
@login_required
def log_out_everywhere() -> BaseResponse:
    """End every session of this account, on every device."""
    sessions.log_out_everywhere(current_user_or_401())
    sessions.end_session()
    db.session.commit()
    return redirect(url_for("accounts.login"), code=303)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup() -> BaseResponse:
    """Enrol an authenticator app: scan the QR code (or type the secret), then prove it with a code."""
    user = current_user_or_401()
    if user.has_two_factor:
        return redirect(url_for("accounts.account"), code=303)
    # Kept on the server, with this session, until a code proves the app has it.
    secret = second_factor.enrolment_secret()
    # Where the person was going when they were sent here (a new owner: on to their first campaign).
    form = TwoFactorForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        db.session.commit()
        return _setup_page(user, secret, form, 400 if request.method == "POST" else 200)
    codes = second_factor.finish_enrolment(user, form.code.data or "")
    db.session.commit()
    if codes is None:
        return _setup_page(user, secret, form, 400, failure=WRONG_CODE)
    going_on = safe_next(form.next.data) or url_for("accounts.account")
    return page("recovery_codes.html", codes=codes, is_new=True, going_on=going_on)


def _setup_page(user: User, secret: str, form: TwoFactorForm, status: int, failure: str = "") -> Response:
    """The enrolment page with its QR code."""
    uri = two_factor.provisioning_uri(secret, user.email)
    return page(
        "two_factor_setup.html",
        status,
        form=form,
        secret=secret,
        qr=two_factor.qr_data_uri(uri),
        failure=failure,
        is_required=second_factor.needs_two_factor(user),
    )


@bp.route("/account/two-factor/verify", methods=["GET", "POST"])
@login_required
def two_factor_verify() -> BaseResponse:
    """Give the second factor again, before something that asks for a fresh one."""
    user = current_user_or_401()
    if not user.has_two_factor:
        return redirect(url_for("accounts.two_factor_setup"), code=303)
    form = TwoFactorForm(next=request.args.get("next", ""))
    asked_again = _code_page(user, form, "two_factor_verify.html")
    if asked_again is not None:
        return asked_again
    sessions.mark_two_factor_verified()
    db.session.commit()
    return landing(form.next.data)


@bp.post("/account/two-factor/disable")
@login_required
def two_factor_disable() -> BaseResponse:
    """Switch two-factor off, with a current code; not for those who must use it."""
    user = current_user_or_401()
    if second_factor.needs_two_factor(user) or not user.has_two_factor:
        return _account_page(user, TwoFactorForm(), 403, failure=gettext("Two-factor stays on."))
    form = TwoFactorForm()
    if not form.validate_on_submit():
        return _account_page(user, form, 400, failure=WRONG_CODE)
    refusal = _code_refusal(user, form, lambda: _account_page(user, form, 401, failure=WRONG_CODE))
    if refusal is not None:
        return refusal
    two_factor.disable(user)
    db.session.commit()
    return redirect(url_for("accounts.account"), code=303)


@bp.post("/account/two-factor/recovery-codes")
@two_factor_fresh_required(300, return_to="accounts.account")
def recovery_codes() -> Response:
    """Replace the recovery codes with ten new ones, shown once."""
    codes = two_factor.replace_recovery_codes(current_user_or_401())
    db.session.commit()
    return page("recovery_codes.html", codes=codes, is_new=False)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(config_limit("ACCOUNT_EMAIL_RATE_LIMIT"), methods=["POST"])
def forgot_password() -> Response:
    """Ask for a reset link; the answer is the same whether the account exists or not."""
    form = PasswordRequestForm()
    if not form.validate_on_submit():
        return page("forgot_password.html", 400 if request.method == "POST" else 200, form=form)
    password_reset.request_password_reset(form.email.data or "")
    db.session.commit()
    return page("reset_sent.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response:
    """Choose a new password from the emailed link; the link dies once used."""
    user = password_reset.user_for_reset_token(token)
    if user is None:
        return page("bad_link.html", 400)
    form = NewPasswordForm()
    if not form.validate_on_submit():
        return page("reset_password.html", 400 if request.method == "POST" else 200, form=form, token=token)
    try:
        password_reset.reset_password(user, form.password.data or "")
    except service.WeakPassword as problem:
        form.password.errors = [str(problem)]
        return page("reset_password.html", 400, form=form, token=token)
    sessions.end_session()
    db.session.commit()
    return page("password_changed.html")
