"""Pages for people who run letter campaigns: per-official delivery, replies, letters held for review."""

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
from campaign.targets import bounces, followups, service
from campaign.targets.blueprint import bp
from campaign.targets.delivery import DELIVERY_STATES, delivery_status
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
