"""Staff pages for exports: ask, watch the progress, download (fresh two-factor, audited)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, send_file, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import SelectChoice

from campaign import clock
from campaign.accounts.access import (
    current_user_or_401,
    manageable_by,
    role_required,
    two_factor_fresh_required,
)
from campaign.campaigns.models import Campaign
from campaign.exports import service
from campaign.exports.filters import ExportError, ExportFilters
from campaign.exports.forms import ExportForm
from campaign.exports.models import Export, ExportStatus
from campaign.extensions import db

# Staff export any campaign; organizers the campaigns of organizations that allow it.
bp = Blueprint("exports", __name__, url_prefix="/staff/exports")
EXPORTERS = ("staff", "admin", "organizer")


def _form() -> ExportForm:
    """The export form with the campaigns the user may choose from."""
    form = ExportForm()
    exportable = manageable_by(current_user_or_401(), for_export=True)
    campaigns = db.session.execute(
        select(Campaign.id, Campaign.title).where(exportable).order_by(Campaign.title)
    )
    form.campaign_id.choices = [SelectChoice(str(cid), title) for cid, title in campaigns]
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
    form = _form()
    if not form.validate():
        return _index(form), 400
    # The form's choices are the campaigns this user may export: any other id was refused above.
    campaign = db.get_or_404(Campaign, form.campaign_id.data)
    user = current_user_or_401()
    filters = ExportFilters(
        status=form.status.data or "validated",
        signed_from=form.signed_from.data,
        signed_to=form.signed_to.data,
        country=(form.country.data or "").upper() or None,
        opted_in_only=bool(form.opted_in_only.data),
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
