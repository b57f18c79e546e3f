"""Signing in and out, two-factor, passwords and the account page. Organizations: organization_routes."""

from __future__ import annotations

from typing import Any, cast

from flask import Blueprint, Response, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts import service, two_factor
from campaign.accounts.access import login_required, safe_next, two_factor_fresh_required
from campaign.accounts.forms import LoginForm, NewPasswordForm, PasswordRequestForm, TwoFactorForm
from campaign.accounts.models import User
from campaign.extensions import db, limiter

bp = Blueprint("accounts", __name__)

WRONG_CREDENTIALS = "The email address or the password is not right."
WRONG_CODE = "That code did not work. Codes change every 30 seconds and each works only once."


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A page about someone's account: never cached, never stored."""
    response = Response(render_template(f"accounts/{template}", **context), status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def signed_in() -> User:
    """The signed-in user (the route is guarded by login_required)."""
    return cast(User, current_user._get_current_object())


def landing(next_path: str | None) -> BaseResponse:
    """Where to go after signing in: the page asked for, if it is on this site, else the account page."""
    return redirect(safe_next(next_path) or url_for("accounts.account"), code=303)


def _failed(response: Response) -> bool:
    """Only refused credentials and codes count toward the limits."""
    return response.status_code == 401


def _limit(setting: str) -> Any:
    """A limit read from the configuration at each request, so it can be tuned without code."""
    return lambda: current_app.config[setting]


def _account_key() -> str:
    """The account a sign-in attempt is for, whoever sends it."""
    return "login:" + service.canonical_email(request.form.get("email", ""))[:320]


def _user_key() -> str:
    """The user giving a second factor, pending or signed in."""
    pending = session.get(service.PENDING_LOGIN)
    if isinstance(pending, dict):
        return "two-factor:" + str(pending.get("user", "")).partition(":")[0]
    if current_user.is_authenticated:
        return f"two-factor:{current_user.id}"
    return "two-factor:" + (request.remote_addr or "")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_RATE_LIMIT_PER_ADDRESS"), methods=["POST"], deduct_when=_failed)
@limiter.limit(
    _limit("LOGIN_RATE_LIMIT_PER_ACCOUNT"), key_func=_account_key, methods=["POST"], deduct_when=_failed
)
def login() -> BaseResponse:
    """Check email and password; then ask for the second factor, or sign in."""
    form = LoginForm(next=request.args.get("next", ""))
    if request.method == "GET" and current_user.is_authenticated:
        return landing(form.next.data)
    if not form.validate_on_submit():
        return page("login.html", 400 if request.method == "POST" else 200, form=form)
    user = service.authenticate(form.email.data or "", form.password.data or "")
    if user is None:
        return page("login.html", 401, form=form, failure=WRONG_CREDENTIALS)
    next_path = safe_next(form.next.data)
    if user.has_two_factor:
        service.begin_two_factor_challenge(user, next_path)
        db.session.commit()
        return redirect(url_for("accounts.two_factor_login"), code=303)
    service.begin_session(user, two_factor_verified=False)
    db.session.commit()
    if user.needs_two_factor:
        return redirect(url_for("accounts.two_factor_setup"), code=303)
    return landing(next_path)


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(_limit("TWO_FACTOR_RATE_LIMIT"), key_func=_user_key, methods=["POST"], deduct_when=_failed)
def two_factor_login() -> BaseResponse:
    """The second step of signing in: a code from the app, or a recovery code."""
    pending = service.pending_login()
    if pending is None:
        return redirect(url_for("accounts.login"), code=303)
    user, next_path = pending
    form = TwoFactorForm()
    if not form.validate_on_submit():
        return page("two_factor_login.html", 400 if request.method == "POST" else 200, form=form)
    if not service.check_second_factor(user, form.code.data or ""):
        return page("two_factor_login.html", 401, form=form, failure=WRONG_CODE)
    service.begin_session(user, two_factor_verified=True)
    db.session.commit()
    return landing(next_path)


@bp.post("/logout")
def logout() -> BaseResponse:
    """Sign out (a POST with its CSRF token, so no link or image can sign anyone out)."""
    service.end_session()
    return redirect(url_for("campaigns.index"), code=303)


@bp.get("/account")
@login_required
def account() -> Response:
    """The account page: two-factor and sessions."""
    return page("account.html", user=signed_in(), form=TwoFactorForm())


@bp.post("/account/sessions/end")
@login_required
def log_out_everywhere() -> BaseResponse:
    """End every session of this account, on every device."""
    service.log_out_everywhere(signed_in())
    db.session.commit()
    service.end_session()
    return redirect(url_for("accounts.login"), code=303)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup() -> BaseResponse:
    """Enrol an authenticator app: scan the QR code (or type the secret), then prove it with a code."""
    user = signed_in()
    if user.has_two_factor:
        return redirect(url_for("accounts.account"), code=303)
    secret = session.get(service.TOTP_SETUP)
    if not isinstance(secret, str) or not secret:
        # Kept in the session until a code proves the app has it; only then stored.
        secret = session[service.TOTP_SETUP] = two_factor.new_secret()
    form = TwoFactorForm()
    if not form.validate_on_submit():
        return _setup_page(user, secret, form, 400 if request.method == "POST" else 200)
    codes = two_factor.enable(user, secret, form.code.data or "")
    if codes is None:
        return _setup_page(user, secret, form, 400, failure=WRONG_CODE)
    session.pop(service.TOTP_SETUP, None)
    service.mark_two_factor_verified()
    db.session.commit()
    return page("recovery_codes.html", codes=codes, is_new=True)


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
    )


@bp.route("/account/two-factor/verify", methods=["GET", "POST"])
@login_required
@limiter.limit(_limit("TWO_FACTOR_RATE_LIMIT"), key_func=_user_key, methods=["POST"], deduct_when=_failed)
def two_factor_verify() -> BaseResponse:
    """Give the second factor again, before something that asks for a fresh one."""
    user = signed_in()
    if not user.has_two_factor:
        return redirect(url_for("accounts.two_factor_setup"), code=303)
    form = TwoFactorForm(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return page("two_factor_verify.html", 400 if request.method == "POST" else 200, form=form)
    if not service.check_second_factor(user, form.code.data or ""):
        return page("two_factor_verify.html", 401, form=form, failure=WRONG_CODE)
    service.mark_two_factor_verified()
    db.session.commit()
    return landing(form.next.data)


@bp.post("/account/two-factor/disable")
@login_required
@limiter.limit(_limit("TWO_FACTOR_RATE_LIMIT"), key_func=_user_key, deduct_when=_failed)
def two_factor_disable() -> BaseResponse:
    """Switch two-factor off, with a current code; admins and staff may not."""
    user = signed_in()
    if user.needs_two_factor or not user.has_two_factor:
        return page("account.html", 403, user=user, form=TwoFactorForm(), failure="Two-factor stays on.")
    form = TwoFactorForm()
    if not form.validate_on_submit() or not service.check_second_factor(user, form.code.data or ""):
        return page("account.html", 401, user=user, form=form, failure=WRONG_CODE)
    two_factor.disable(user)
    session.pop(service.TWO_FACTOR_AT, None)
    db.session.commit()
    return redirect(url_for("accounts.account"), code=303)


@bp.post("/account/two-factor/recovery-codes")
@two_factor_fresh_required(300)
def recovery_codes() -> Response:
    """Replace the recovery codes with ten new ones, shown once."""
    codes = two_factor.replace_recovery_codes(signed_in())
    db.session.commit()
    return page("recovery_codes.html", codes=codes, is_new=False)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_limit("ACCOUNT_EMAIL_RATE_LIMIT"), methods=["POST"])
def forgot_password() -> Response:
    """Ask for a reset link; the answer is the same whether the account exists or not."""
    form = PasswordRequestForm()
    if not form.validate_on_submit():
        return page("forgot_password.html", 400 if request.method == "POST" else 200, form=form)
    service.request_password_reset(form.email.data or "")
    db.session.commit()
    return page("reset_sent.html")


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response:
    """Choose a new password from the emailed link; the link dies once used."""
    user = service.user_for_reset_token(token)
    if user is None:
        return page("bad_link.html", 400)
    form = NewPasswordForm()
    if not form.validate_on_submit():
        return page("reset_password.html", 400 if request.method == "POST" else 200, form=form, token=token)
    try:
        service.set_password(user, form.password.data or "")
    except service.WeakPassword as problem:
        form.password.errors = [str(problem)]
        return page("reset_password.html", 400, form=form, token=token)
    db.session.commit()
    service.end_session()
    return page("password_changed.html")


from campaign.accounts import organization_routes as organization_routes  # noqa: E402  adds to bp
