"""The builder's routes for a campaign's settings beyond its words: its contact email, its image's alt
text and focal point.

Each is on the campaign's page in the builder; each POST is checked for its
CSRF token by its form, changes one setting for a member of the campaign's
organization, is recorded in the audit log, and goes back to the page.
"""

from __future__ import annotations

from flask import flash
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts.access import current_user_or_401, login_required
from campaign.builder import lifecycle, settings
from campaign.builder.blueprint import bp, campaign_or_404, campaign_page, to_campaign
from campaign.builder.setting_forms import ContactForm, ImageAltForm, ImageFocusForm
from campaign.campaigns.models import ImageFocus
from campaign.extensions import db


@bp.post("/organize/campaigns/<int:campaign_id>/contact")
@login_required
def contact_email(campaign_id: int) -> BaseResponse:
    """Change where the campaign's notices go (milestones, undelivered letters), at any stage."""
    campaign = campaign_or_404(campaign_id)
    form = ContactForm()
    if not form.validate_on_submit():
        return campaign_page(campaign, 400, contact_form=form)
    settings.set_contact_email(campaign, form.contact_email.data or "", current_user_or_401())
    db.session.commit()
    flash(gettext("The campaign's notices now go to %(email)s.", email=campaign.contact_email))
    return to_campaign(campaign)


@bp.post("/organize/campaigns/<int:campaign_id>/image/alt")
@login_required
def image_alt(campaign_id: int) -> BaseResponse:
    """Change what the draft's image is said to show, for people who cannot see it."""
    campaign = campaign_or_404(campaign_id)
    form = ImageAltForm()
    if not form.validate_on_submit():
        return campaign_page(campaign, 400, alt_form=form)
    try:
        settings.set_image_alt(campaign, form.alt_text.data or "", current_user_or_401())
    except lifecycle.LifecycleError as problem:
        db.session.rollback()
        return campaign_page(campaign, 409, problem=str(problem))
    db.session.commit()
    flash(gettext("What the image shows was saved."))
    return to_campaign(campaign)


@bp.post("/organize/campaigns/<int:campaign_id>/image/focus")
@login_required
def image_focus(campaign_id: int) -> BaseResponse:
    """Choose what the page's banner and the share image keep in view of the draft's image."""
    campaign = campaign_or_404(campaign_id)
    form = ImageFocusForm()
    if not form.validate_on_submit():
        return campaign_page(campaign, 400, focus_form=form)
    try:
        settings.set_image_focus(campaign, ImageFocus(form.focus.data), current_user_or_401())
    except lifecycle.LifecycleError as problem:
        db.session.rollback()
        return campaign_page(campaign, 409, problem=str(problem))
    db.session.commit()
    flash(gettext("The image's crop was saved: see the previews."))
    return to_campaign(campaign)
