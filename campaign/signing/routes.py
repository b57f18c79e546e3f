"""Signing: the form's POST, the check-your-inbox page, and confirmation."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from campaign import clock
from campaign.campaigns.pages import page_with_errors
from campaign.campaigns.service import public_view_or_404
from campaign.extensions import db
from campaign.signing import service
from campaign.signing.forms import SignForm
from campaign.signing.tokens import check_confirmation_token

bp = Blueprint("signing", __name__)


@bp.post("/campaigns/<slug>/sign")
def sign(slug: str) -> BaseResponse | tuple[str, int]:
    """Take a signature; everyone who gets past the form sees the same next page."""
    campaign = public_view_or_404(slug)
    if not campaign.is_open_at(clock.now()):
        return page_with_errors(campaign, SignForm()), 409
    form = SignForm()
    if not form.validate():
        return page_with_errors(campaign, form), 400
    if not form.is_bot:
        request_data = form.to_request(client_address=request.remote_addr or "", is_letter=campaign.is_letter)
        try:
            service.sign(campaign, request_data)
        except service.CampaignClosed:
            # Closed since this process last read it: the database has the last word.
            db.session.rollback()
            return page_with_errors(public_view_or_404(slug, fresh=True), SignForm()), 409
        db.session.commit()
    return redirect(url_for("signing.check_inbox", slug=campaign.slug), code=303)


@bp.get("/campaigns/<slug>/check-your-inbox")
def check_inbox(slug: str) -> str:
    """Ask the supporter to open the email we sent."""
    return render_template("signing/check_inbox.html", campaign=public_view_or_404(slug))


@bp.get("/confirm/<token>")
def confirm(token: str) -> Response | tuple[str, int]:
    """Show the confirm button; a GET changes nothing, since mail scanners follow links."""
    check = check_confirmation_token(token)
    if not check.is_valid:
        return _bad_token(token, check.is_expired)
    signature = service.signature_or_none(check.signature_id)
    if signature is None:
        return _bad_token(token, is_expired=False)
    return _private(render_template("signing/confirm.html", token=token, campaign=signature.campaign))


@bp.post("/confirm/<token>")
def confirm_post(token: str) -> BaseResponse | tuple[str, int]:
    """Confirm the signature the token names; confirming twice is harmless."""
    check = check_confirmation_token(token)
    if not check.is_valid or check.signature_id is None:
        return _bad_token(token, check.is_expired)
    confirmation = service.confirm(check.signature_id)
    if confirmation is None:
        return _bad_token(token, is_expired=False)
    db.session.commit()
    return redirect(url_for("campaigns.thanks", slug=confirmation.campaign_slug), code=303)


@bp.post("/confirm/<token>/renew")
def renew(token: str) -> tuple[str, int] | Response:
    """Send a fresh link in place of an expired one."""
    check = check_confirmation_token(token)
    if check.signature_id is None:
        abort(400)
    service.resend_confirmation(check.signature_id)
    db.session.commit()
    return _private(render_template("signing/renewed.html"))


def _bad_token(token: str, is_expired: bool) -> tuple[str, int]:
    """A friendly page for a link that is too old or was altered."""
    return render_template("signing/bad_token.html", token=token, is_expired=is_expired), 400


def _private(html: str) -> Response:
    """A page reached through a personal link: never cached, never stored."""
    response = Response(html)
    response.headers["Cache-Control"] = "no-store"
    return response
