"""Signing: the form's POST, the check-your-inbox page, and confirmation."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from campaign import clock, i18n
from campaign.accounts.blueprint import config_limit
from campaign.campaigns import translations
from campaign.campaigns.pages import page_with_errors
from campaign.campaigns.service import public_view_or_404
from campaign.extensions import csrf, db, limiter
from campaign.ledger import receipts
from campaign.mail import suppressions
from campaign.partners import consents as partner_consents
from campaign.security import refuse_cross_site_post
from campaign.signing import confirmation, fill_time, proof_of_work, service, submission, supporters
from campaign.signing.forms import MyLinkForm, SignForm
from campaign.signing.tokens import check_confirmation_token
from campaign.targets import delivery

bp = Blueprint("signing", __name__)
# The sign form carries no CSRF token: the campaign page is the same bytes for everyone (cached).
NO_CSRF = {"csrf": False}


# The flood rules (signing/floods.py) are the sign POST's limits: no Flask-Limiter bookkeeping on it.
limiter.skip("signing.sign")


@bp.post("/campaigns/<slug>/sign")
@csrf.exempt  # no cookie, no per-visitor token: the page is cached; the browser's origin headers guard it
def sign(slug: str) -> BaseResponse | tuple[str, int]:
    """Take a signature; everyone who gets past the form sees the same next page."""
    campaign = public_view_or_404(slug)
    refuse_cross_site_post()
    if not campaign.is_open_at(clock.now()):
        return page_with_errors(campaign, SignForm(meta=NO_CSRF)), 409
    # Read without WTForms (signing/submission.py); only a refused form is built to be shown again.
    posted = submission.read(request.form)
    if posted.errors:
        form = SignForm(meta=NO_CSRF)
        form.validate()
        return page_with_errors(campaign, form), 400
    if not posted.is_bot:
        request_data = posted.to_request(
            client_address=request.remote_addr or "",
            is_letter=campaign.is_letter,
            is_too_fast=fill_time.is_too_fast(request.form.get(fill_time.FIELD)),
        )
        try:
            service.sign(campaign, request_data, proof=request.form.get(proof_of_work.PROOF_FIELD, ""))
        except service.CampaignClosed:
            # Closed since this process last read it: the database has the last word.
            db.session.rollback()
            return page_with_errors(public_view_or_404(slug, fresh=True), SignForm(meta=NO_CSRF)), 409
        db.session.commit()
    return redirect(url_for("signing.check_inbox", slug=campaign.slug), code=303)


@bp.get("/campaigns/<slug>/challenge")
def challenge(slug: str) -> Response:
    """A proof-of-work challenge while a flood rule fires for this client; 204 when none does.

    Asked by the campaign page's script, so that the page itself stays the
    same bytes for every visitor; never cached, since it depends on the client.
    """
    campaign = public_view_or_404(slug)
    issued = service.challenge_for(request.remote_addr or "") if campaign.is_open_at(clock.now()) else None
    response = Response(status=204) if issued is None else jsonify(issued)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/campaigns/<slug>/check-your-inbox")
def check_inbox(slug: str) -> str:
    """Ask the supporter to open the email we sent."""
    # The campaign's title in the reader's language where translated, as on its page and in the mail.
    campaign = translations.in_language(public_view_or_404(slug), i18n.current_language())
    return render_template("signing/check_inbox.html", campaign=campaign)


@bp.get("/confirm/<token>")
def confirm(token: str) -> Response | tuple[str, int]:
    """Show the confirm button; a GET changes nothing, since mail scanners follow links."""
    check = check_confirmation_token(token)
    if not check.is_valid:
        return _bad_token(token, check.is_expired)
    signature = confirmation.signature_or_none(check.signature_id)
    if signature is None:
        return _bad_token(token, is_expired=False)
    campaign = translations.in_language(signature.campaign, i18n.current_language())
    return _private(render_template("signing/confirm.html", token=token, campaign=campaign))


@bp.post("/confirm/<token>")
def confirm_post(token: str) -> BaseResponse | tuple[str, int]:
    """Confirm the signature the token names; confirming twice is harmless."""
    check = check_confirmation_token(token)
    if not check.is_valid or check.signature_id is None:
        return _bad_token(token, check.is_expired)
    confirmed = confirmation.confirm(check.signature_id)
    if confirmed is None:
        return _bad_token(token, is_expired=False)
    # The thank-you page links to the signer's receipt in the public ledger (docs/LEDGER.md).
    receipt = (
        receipts.receipt_of_confirmed(confirmed.campaign_id, check.signature_id)
        if confirmed.is_validated
        else None
    )
    db.session.commit()
    return redirect(url_for("campaigns.thanks", slug=confirmed.campaign_slug, receipt=receipt), code=303)


@bp.post("/confirm/<token>/renew")
def renew(token: str) -> tuple[str, int] | Response:
    """Send a fresh link in place of an expired one."""
    check = check_confirmation_token(token)
    if check.signature_id is None:
        abort(400)
    confirmation.resend_confirmation(check.signature_id)
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


@bp.get("/my/")
def my_request() -> Response:
    """Ask for the link to one's own page by email."""
    return _private(render_template("signing/my_request.html", sent=False))


@bp.post("/my/")
# Each request owes a mail, or a row that is never sent: a client asks for a few an hour, not thousands.
@limiter.limit(config_limit("ACCOUNT_EMAIL_RATE_LIMIT"))
def my_request_post() -> Response | tuple[str, int]:
    """Send the link if anything is held for the address; the answer is the same either way."""
    form = MyLinkForm()
    if not form.validate():
        return render_template("signing/my_request.html", sent=False, form=form), 400
    supporters.send_link(form.email.data or "")
    db.session.commit()
    return _private(render_template("signing/my_request.html", sent=True))


def _person_of_link(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """Open a /my/ page only for a link still good: the view gets the person it names."""

    @wraps(view)
    def wrapped(token: str, **values: Any) -> ResponseReturnValue:
        person_id = supporters.person_of_token(token)
        if person_id is None:
            return _my_bad_link()
        return view(token=token, person_id=person_id, **values)

    return wrapped


@bp.get("/my/<token>")
@_person_of_link
def my_page(token: str, person_id: int) -> Response:
    """What is held for the person the link names; a GET changes nothing."""
    held = supporters.held_for(person_id)
    ids = [item.signature.id for item in held]
    partners = partner_consents.withdrawable(ids)
    is_stopped = supporters.is_email_stopped(person_id)
    # Each signature's campaign in the reader's language where translated: one query for them all.
    shown = translations.all_in_language([item.campaign for item in held], i18n.current_language())
    page = render_template(
        "signing/my_page.html",
        token=token,
        held=held,
        campaigns={campaign.id: campaign for campaign in shown},
        partners=partners,
        letters=delivery.letters_of(ids),
        is_stopped=is_stopped,
    )
    return _private(page)


@bp.post("/my/<token>/withdraw/<int:signature_id>")
@_person_of_link
def my_withdraw(token: str, person_id: int, signature_id: int) -> BaseResponse:
    """Withdraw one signature: it stops counting within seconds."""
    if not supporters.withdraw(person_id, signature_id):
        abort(404)
    db.session.commit()
    flash(_("Your signature was withdrawn: it no longer counts, and what it held about you is deleted."))
    return redirect(url_for("signing.my_page", token=token), code=303)


@bp.post("/my/<token>/partners/<int:signature_id>/<int:organization_id>/withdraw")
@_person_of_link
def my_withdraw_partner(token: str, person_id: int, signature_id: int, organization_id: int) -> BaseResponse:
    """Stop one partner emailing the supporter: their consent to it is deleted (partners/consents.py)."""
    partner = partner_consents.withdraw(person_id, signature_id, organization_id)
    if partner is None:
        abort(404)
    db.session.commit()
    flash(
        _(
            "%(partner)s may no longer email you: it will not get your address from this campaign.",
            partner=partner,
        )
    )
    return redirect(url_for("signing.my_page", token=token), code=303)


@bp.post("/my/<token>/stop-email")
@_person_of_link
def my_stop_email(token: str, person_id: int) -> BaseResponse:
    """No more email to the address, whoever asks for it: confirmations, updates, invitations."""
    supporters.stop_all_email(supporters.index_of(person_id))
    db.session.commit()
    flash(
        _(
            "No more email will go to this address, whoever types it into our forms. Only mail about your "
            "own account, and the link to your page at most once a week, still come."
        )
    )
    return redirect(url_for("signing.my_page", token=token), code=303)


@bp.post("/my/<token>/resume-email")
@_person_of_link
def my_resume_email(token: str, person_id: int) -> BaseResponse:
    """Let email go to the address again."""
    if supporters.resume_email(supporters.index_of(person_id)):
        db.session.commit()
        flash(
            _(
                "Email can reach this address again. If a signature is still waiting for its "
                "confirmation, sign again with this address and we will send a new link."
            )
        )
    return redirect(url_for("signing.my_page", token=token), code=303)


@bp.get("/my/<token>/erase")
@_person_of_link
def my_erase_confirm(token: str, person_id: int) -> Response:
    """The one confirmation step before erasing everything."""
    return _private(render_template("signing/my_erase.html", token=token))


@bp.post("/my/<token>/erase")
@_person_of_link
def my_erase(token: str, person_id: int) -> Response:
    """Erase everything held for the address; and, if asked, stop all email to it for good."""
    index = supporters.index_of(person_id)
    if request.form.get("stop_email"):
        supporters.stop_all_email(index)
    supporters.erase(person_id)
    db.session.commit()
    # Without a stop, signing the address up again makes us write to it: the page must not promise otherwise.
    return _private(render_template("signing/my_erased.html", is_stopped=suppressions.is_stopped(index)))


def _my_bad_link() -> tuple[Response, int]:
    """A link that expired, was altered, or names someone already erased."""
    return _private(render_template("signing/my_bad_link.html")), 400
