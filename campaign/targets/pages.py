"""Pages for people who run letter campaigns: per-official delivery, replies, letters held for review,
and officials' addresses paused after a refusal or a complaint."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts.access import (
    current_user_or_401,
    login_required,
    managed_campaign_or_404,
    role_required,
)
from campaign.audit.service import record
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.signing.models import Signature
from campaign.targets import bounces, directory, followups, service
from campaign.targets.blueprint import bp
from campaign.targets.delivery import DELIVERY_STATES, delivery_status
from campaign.targets.forms import ResumeForm
from campaign.targets.models import Letter, Official


@bp.get("/organize/campaigns/<int:campaign_id>/letters")
@login_required
def delivery(campaign_id: int) -> str:
    """How each official's letters are doing, what bounced, and whether officials replied."""
    campaign = managed_campaign_or_404(campaign_id)
    if not campaign.is_letter:
        abort(404)
    return render_template(
        "targets/delivery.html",
        campaign=campaign,
        rows=delivery_status(campaign.id),
        states=DELIVERY_STATES,
        replies=followups.reply_rates(campaign.id),
        bounced=bounces.bounced_in(campaign.id),
    )


@bp.get("/staff/letters/held")
@role_required("staff", "admin")
def held() -> str:
    """Letters held for review (copied paragraphs, bursts from one address), oldest first."""
    letters = db.session.execute(
        select(Letter, Official.name, Campaign.title, Signature.masked_name, Signature.country)
        .join(Official, Official.id == Letter.official_id)
        .join(Campaign, Campaign.id == Letter.campaign_id)
        .join(Signature, Signature.id == Letter.signature_id)
        .where(Letter.is_held.is_(True), Letter.outbox_id.is_(None))
        .order_by(Letter.id)
        .limit(200)
    ).all()
    return render_template("targets/held.html", letters=letters)


@bp.get("/staff/officials/paused")
@role_required("staff", "admin")
def paused() -> str:
    """The officials' addresses no letters go to, why and since when, each with a way to resume it."""
    return _paused_page(ResumeForm(formdata=None))


def _paused_page(form: ResumeForm, error: str | None = None) -> str:
    """The paused addresses, with what went wrong with the last form sent, if anything."""
    return render_template("targets/paused.html", officials=bounces.paused(), form=form, error=error)


@bp.post("/staff/officials/<int:official_id>/resume")
@role_required("staff", "admin")
def resume(official_id: int) -> BaseResponse | tuple[str, int]:
    """Lift the pause of an official's address (and of those sharing it), corrected if asked; audited."""
    official = db.session.get(Official, official_id)
    if official is None or not official.is_paused:
        abort(404)
    form = ResumeForm()
    if not form.validate():
        return _paused_page(form, gettext("The address is not valid.")), 400
    try:
        actor = f"user:{current_user_or_401().id}"
        said = service.resume(official.email, form.new_email.data, resend=form.resend.data, actor=actor)
    except directory.InvalidOfficial as refused:
        db.session.rollback()  # nothing half-done
        return _paused_page(form, str(refused)), 400
    db.session.commit()
    for line in said:
        flash(line)
    return redirect(url_for("targets.paused"), code=303)


@bp.post("/staff/letters/<int:letter_id>/release")
@role_required("staff", "admin")
def release(letter_id: int) -> BaseResponse:
    """Send a held letter after all; the decision is audited."""
    if not service.release_held(letter_id):
        abort(404)
    record(f"user:{current_user_or_401().id}", "letter.released", f"letter:{letter_id}")
    db.session.commit()
    flash(gettext("The letter was released and will be sent within its official's cap."))
    return redirect(url_for("targets.held"), code=303)
