"""Who may reach what: the signed-in user, who may manage which campaign, the decorators later features
use, the two-factor gate, safe redirects."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, current_app, has_request_context, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import ColumnElement, exists, select, true
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts import second_factor, sessions
from campaign.accounts.models import Membership, Organization, User
from campaign.campaigns.models import Campaign
from campaign.extensions import db, login_manager

F = TypeVar("F", bound=Callable[..., Any])

# Where someone who must use two-factor may go before giving it (see second_factor.needs_two_factor).
TWO_FACTOR_GATE_OPEN = frozenset(
    {
        "static",
        "accounts.two_factor_setup",
        "accounts.two_factor_verify",
        "accounts.logout",
        "accounts.log_out_everywhere",
        "health.healthz",
    }
)


def safe_next(target: str | None) -> str | None:
    """The target if it is a path on this site; None for anything that could lead elsewhere."""
    if not target or len(target) > 2000:
        return None
    # Browsers read a backslash as a slash and drop tabs and line breaks, so
    # "/\evil.example" or "/\t/evil.example" would become "//evil.example".
    if any(ch == "\\" or ord(ch) < 33 or ord(ch) == 127 for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    return target


def current_path() -> str:
    """The path and query of this request, to come back to after signing in."""
    return request.full_path.rstrip("?") if request.query_string else request.path


def coming_back() -> str | None:
    """This page, to come back to once a step elsewhere is done; None for a form's post (its address
    opens nothing)."""
    return current_path() if request.method == "GET" else None


def signed_in_user() -> User | None:
    """The signed-in user, without touching the session of a visitor who has none (keeps pages cacheable)."""
    if not has_request_context() or current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return None
    return cast(User, current_user._get_current_object()) if current_user.is_authenticated else None


def current_user_or_401() -> User:
    """The signed-in user; a 401 for a visitor (the views' decorators have sent visitors away already)."""
    user = signed_in_user()
    if user is None:
        abort(401)
    return user


def manageable_by(user: User, *, staff_too: bool = True, for_export: bool = False) -> ColumnElement[bool]:
    """The one rule of who may manage a campaign, as a condition on Campaign: the members of its organization.

    staff_too: staff and admins may manage every campaign (the builder says
    False: staff write campaigns only in organizations they belong to).
    for_export: only organizations that let their members export count (the
    export pages and the API's signer data).
    """
    if staff_too and user.is_staff:
        return true()
    organizations = select(Membership.organization_id).where(Membership.user_id == user.id)
    if for_export:
        organizations = organizations.join(Organization, Organization.id == Membership.organization_id).where(
            Organization.allows_member_exports.is_(True)
        )
    return Campaign.organization_id.in_(organizations)


def may_manage(user: User, campaign: Campaign, *, staff_too: bool = True, for_export: bool = False) -> bool:
    """Tell whether the user may manage this campaign (see manageable_by for the parameters)."""
    rule = manageable_by(user, staff_too=staff_too, for_export=for_export)
    return bool(db.session.execute(select(exists().where(Campaign.id == campaign.id, rule))).scalar())


def managed_campaign_or_404(
    campaign_id: int, *, staff_too: bool = True, for_export: bool = False
) -> Campaign:
    """The campaign, if the signed-in user may manage it (see manageable_by); a 404 otherwise, so that
    another organization's campaign stays unseen."""
    campaign = db.session.get(Campaign, campaign_id)
    user = current_user_or_401()
    if campaign is None or not may_manage(user, campaign, staff_too=staff_too, for_export=for_export):
        abort(404)
    return campaign


def login_required(view: F) -> F:
    """Send visitors who are not signed in to the login page, then back."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        """Check, then run the view."""
        if not current_user.is_authenticated:
            return redirect(url_for("accounts.login", next=current_path()))
        return view(*args, **kwargs)

    return cast(F, wrapped)


def role_required(*roles: str) -> Callable[[F], F]:
    """Allow only signed-in users with one of these platform roles; others get a 403."""

    def decorate(view: F) -> F:
        """Wrap the view."""

        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            """Check, then run the view."""
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login", next=current_path()))
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def two_factor_fresh_required(max_age_seconds: int = 300, return_to: str | None = None) -> Callable[[F], F]:
    """Ask for a second factor again unless it was given within max_age_seconds.

    After the code, the browser comes back to this path, or to the page of the
    endpoint `return_to` with the view's arguments (for a form's POST, which a
    redirect cannot repeat).
    """

    def decorate(view: F) -> F:
        """Wrap the view."""

        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            """Check, then run the view."""
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login", next=current_path()))
            if not current_user.has_two_factor:
                return redirect(url_for("accounts.two_factor_setup", next=coming_back()))
            if not sessions.has_fresh_two_factor(max_age_seconds):
                back = url_for(return_to, **kwargs) if return_to else current_path()
                return redirect(url_for("accounts.two_factor_verify", next=back))
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorate


def two_factor_gate() -> BaseResponse | None:
    """Keep whoever must use two-factor (staff, admins, owners, members of an organization that
    asks it) on the two-factor pages until they have enrolled and given a code."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return None
    if request.endpoint in TWO_FACTOR_GATE_OPEN or not current_user.is_authenticated:
        return None
    user = cast(User, current_user._get_current_object())
    if sessions.is_two_factor_verified() or not second_factor.needs_two_factor(user):
        return None
    if current_user.has_two_factor:
        return redirect(url_for("accounts.two_factor_verify", next=current_path()))
    return redirect(url_for("accounts.two_factor_setup", next=coming_back()))


@login_manager.user_loader
def _load_user(session_secret: str) -> User | None:
    """The session's user, unless the session ended or expired or the user was disabled."""
    return sessions.load_session_user(session_secret)


@login_manager.unauthorized_handler
def _unauthorized() -> BaseResponse:
    """Send the visitor to the login page, with a relative way back."""
    return redirect(url_for("accounts.login", next=current_path()))
