"""The page where a signed-in user creates and revokes their API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts.access import login_required, signed_in_user
from campaign.accounts.models import User
from campaign.api import tokens
from campaign.extensions import db

bp = Blueprint("api_tokens", __name__, url_prefix="/account/tokens")


def _user() -> User:
    """The signed-in user (login_required guarantees one)."""
    user = signed_in_user()
    if user is None:
        abort(401)
    return user


@bp.get("/")
@login_required
def index() -> str:
    """List the user's tokens."""
    return render_template("api/tokens.html", tokens=tokens.tokens_of(_user()), secret=None)


@bp.post("/")
@login_required
def create() -> str:
    """Create a token and show its secret, this once."""
    user = _user()
    _token, secret = tokens.create_token(user, request.form.get("name", ""))
    db.session.commit()
    return render_template("api/tokens.html", tokens=tokens.tokens_of(user), secret=secret)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> BaseResponse:
    """Revoke one of the user's tokens."""
    if not tokens.revoke(_user(), token_id):
        abort(404)
    db.session.commit()
    flash("The token was revoked: scripts using it are refused from now on.")
    return redirect(url_for("api_tokens.index"), code=303)
