"""The page where a signed-in user creates and revokes their API tokens."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from campaign import clock, validation
from campaign.accounts.access import current_user_or_401, login_required, two_factor_fresh_required
from campaign.accounts.models import User
from campaign.accounts.sessions import has_fresh_two_factor
from campaign.api import tokens
from campaign.extensions import db

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")
# A token reads what an export does, so making one asks for the second factor as an export does.
FRESH_TWO_FACTOR_SECONDS = 900


def _page(user: User, secret: str | None = None, expires_at: datetime | None = None) -> str:
    """The tokens page: the user's tokens, the form, and a new secret if one was just made."""
    return render_template(
        "api/tokens.html",
        user=user,
        tokens=tokens.tokens_of(user),
        secret=secret,
        expires_at=expires_at,
        now=clock.now(),
        has_fresh_two_factor=has_fresh_two_factor(FRESH_TWO_FACTOR_SECONDS),
    )


@bp.get("/")
@login_required
def index() -> str:
    """List the user's tokens."""
    return _page(current_user_or_401())


@bp.post("/")
@login_required
@two_factor_fresh_required(max_age_seconds=FRESH_TWO_FACTOR_SECONDS)
def create() -> str | tuple[str, int]:
    """Create a token and show its secret, this once."""
    user = current_user_or_401()
    name = request.form.get("name", "")
    problem = validation.problem(name)
    if problem:
        flash(gettext("The token's name: %(problem)s", problem=problem))
        return _page(user), 400
    token, secret = tokens.create_token(user, name, actor=f"user:{user.id}")
    db.session.commit()
    return _page(user, secret, token.expires_at)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> BaseResponse:
    """Revoke one of the user's tokens."""
    if not tokens.revoke(current_user_or_401(), token_id):
        abort(404)
    db.session.commit()
    flash(gettext("The token was revoked: scripts using it are refused from now on."))
    return redirect(url_for("api_tokens.index"), code=303)
