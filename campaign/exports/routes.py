"""Staff pages for exports: ask, watch the progress, download (fresh two-factor, audited)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from sqlalchemy import or_, select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from campaign import clock
from campaign.accounts.access import (
    current_user_or_401,
    manageable_by,
    may_manage,
    role_required,
    two_factor_fresh_required,
)
from campaign.campaigns.models import Campaign
from campaign.exports import reasons, service
from campaign.exports.filters import ExportError, ExportFilters
from campaign.exports.forms import ExportForm
from campaign.exports.models import Export, ExportStatus
from campaign.extensions import db
from campaign.partners import access as partners

# Staff export any campaign; organizers the campaigns of organizations that allow it.
bp = Blueprint("exports", __name__, url_prefix="/staff/exports")
EXPORTERS = ("staff", "admin", "organizer")


def _form() -> ExportForm:
    """The export form with the campaigns the user may choose from."""
    form = ExportForm()
    user = current_user_or_401()
    # A partner's members see the campaigns it co-hosts too (only its consenting signers: see create).
    exportable = or_(manageable_by(user, for_export=True), partners.exportable_campaigns(user))
    campaigns = db.session.execute(
        select(Campaign.id, Campaign.title).where(exportable).order_by(Campaign.title)
    )
    form.campaign_id.choices = [SelectChoice(str(cid), title) for cid, title in campaigns]
    form.partner_id.choices = [
        *form.partner_id.choices,
        *(
            SelectChoice(o.id, gettext("%(name)s: signers who agreed that it may email them", name=o.name))
            for o in partners.export_organizations(user)
        ),
    ]
    return form


def _own_export_or_404(export_id: int) -> Export:
    """An export the signed-in user asked for; anyone else's is a 404."""
    export = db.session.get(Export, export_id)
    if export is None or export.user_id != current_user_or_401().id:
        abort(404)
    return export


@bp.get("/")
@role_required(*EXPORTERS)
def index() -> str:
    """The user's recent exports and the form for a new one."""
    return _index(_form())


def _index(form: ExportForm, status: int = 200) -> str:
    """Render the exports page."""
    exports = db.session.execute(
        select(Export, Campaign.title)
        .join(Campaign, Campaign.id == Export.campaign_id)
        .where(Export.user_id == current_user_or_401().id)
        .order_by(Export.id.desc())
        .limit(50)
    ).all()
    return render_template("exports/index.html", form=form, exports=exports, now=clock.now())


@bp.post("/")
@role_required(*EXPORTERS)
@two_factor_fresh_required(max_age_seconds=900)
def create() -> BaseResponse | tuple[str, int]:
    """Ask for an export; a worker writes the file."""
    user = current_user_or_401()
    # For a partner organization: only its members, for a campaign it co-hosts; anyone else is refused.
    partner_id = request.form.get("partner_id", 0, type=int) or 0
    campaign_id = request.form.get("campaign_id", 0, type=int) or 0
    if partner_id and not partners.may_export_for(user, campaign_id, partner_id):
        abort(403)
    form = _form()
    if not form.validate():
        return _index(form), 400
    # The form's choices are the campaigns this user may export: any other id was refused above.
    campaign = db.get_or_404(Campaign, form.campaign_id.data)
    if not partner_id and not may_manage(user, campaign, for_export=True):
        abort(403)  # a campaign the user sees only as a partner's member: its consenting signers only
    filters = ExportFilters(
        status=form.status.data or "validated",
        signed_from=form.signed_from.data,
        signed_to=form.signed_to.data,
        country=(form.country.data or "").upper() or None,
        opted_in_only=bool(form.opted_in_only.data),
        partner_id=partner_id or None,
    )
    try:
        export = service.request_export(
            campaign,
            actor=f"user:{user.id}",
            user_id=user.id,
            filters=filters,
            columns=list(form.columns.data or []),
            is_excel=bool(form.is_excel.data),
            is_gzip=bool(form.is_gzip.data),
        )
    except ExportError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _index(form), 400
    db.session.commit()
    return redirect(url_for("exports.show", export_id=export.id), code=303)


@bp.get("/<int:export_id>")
@role_required(*EXPORTERS)
def show(export_id: int) -> str:
    """An export's progress; the page refreshes itself while the file is being written."""
    export = _own_export_or_404(export_id)
    campaign = db.session.get_one(Campaign, export.campaign_id)
    return render_template(
        "exports/show.html",
        export=export,
        campaign=campaign,
        error=reasons.describe(export.error),
        is_working=export.status in (ExportStatus.QUEUED, ExportStatus.RUNNING),
    )


@bp.get("/<int:export_id>/download")
@role_required(*EXPORTERS)
@two_factor_fresh_required(max_age_seconds=900)
def download(export_id: int) -> Response:
    """Send the file to the person who asked for it, after recording the download."""
    export = _own_export_or_404(export_id)
    try:
        path = service.download(export, actor=f"user:{current_user_or_401().id}")
    except ExportError as error:
        abort(410, str(error))
    campaign = db.session.get_one(Campaign, export.campaign_id)
    name = f"{campaign.slug}-signatures-{export.created_at:%Y%m%d-%H%M}.csv" + (
        ".gz" if export.is_gzip else ""
    )
    response = send_file(
        path,
        as_attachment=True,
        download_name=name,
        mimetype="application/gzip" if export.is_gzip else "text/csv",
    )
    return response
