"""Asking for exports of signature lists: recorded and audited, written by a worker, downloaded once audited.

Who may ask is the routes' business (campaign.exports.routes); here an
export is recorded with its audit event in the caller's transaction, handed
to a worker after the commit (campaign.exports.writer), and its file given
out only after the download is audited (campaign.exports.files keeps it
short-lived).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext

from campaign import clock, dispatch
from campaign.audit.service import record
from campaign.campaigns.models import Campaign
from campaign.exports import reasons
from campaign.exports.files import export_folder, running
from campaign.exports.filters import ExportError, ExportFilters, check_columns
from campaign.exports.models import Export, ExportStatus
from campaign.exports.writer import RUN_TASK, finish, write_file
from campaign.extensions import db


def request_export(
    campaign: Campaign,
    *,
    actor: str,
    user_id: int | None,
    filters: ExportFilters,
    columns: list[str],
    is_excel: bool = False,
    is_gzip: bool = False,
) -> Export:
    """Record and audit an export request; a worker makes the file after the commit."""
    export = _new_export(campaign, actor, user_id, filters, columns, is_excel, is_gzip)
    dispatch.defer(db.session(), RUN_TASK, export.id)
    return export


def _new_export(
    campaign: Campaign,
    actor: str,
    user_id: int | None,
    filters: ExportFilters,
    columns: list[str],
    is_excel: bool,
    is_gzip: bool,
) -> Export:
    """Create the export's row and its audit event, in the caller's transaction."""
    filters.check()
    chosen = check_columns(columns)
    now = clock.now()
    export = Export(
        campaign_id=campaign.id,
        requested_by=actor,
        user_id=user_id,
        filters=filters.as_json(),
        columns=chosen,
        is_excel=is_excel,
        is_gzip=is_gzip,
        status=ExportStatus.QUEUED,
        written_rows=0,
        created_at=now,
        expires_at=now + timedelta(hours=current_app.config["EXPORT_TTL_HOURS"]),
    )
    db.session.add(export)
    db.session.flush()
    record(
        actor,
        "export.requested",
        f"campaign:{campaign.id}",
        export_id=export.id,
        filters=export.filters,
        columns=chosen,
        excel=is_excel,
        gzip=is_gzip,
    )
    return export


def download(export: Export, *, actor: str) -> Path:
    """Audit a download of a finished export and return its file (raise if it is gone)."""
    if export.status != ExportStatus.DONE or not export.file_name or export.expires_at <= clock.now():
        raise ExportError(gettext("This export is not available: it has expired or is not finished."))
    path = export_folder() / export.file_name
    if not path.is_file():
        raise ExportError(gettext("This export's file is gone; please ask for it again."))
    record(
        actor,
        "export.downloaded",
        f"export:{export.id}",
        campaign_id=export.campaign_id,
        rows=export.written_rows,
    )
    db.session.commit()  # the record is written before a byte of data leaves
    return path


def export_campaign_to(
    campaign: Campaign,
    destination: Path,
    *,
    actor: str,
    filters: ExportFilters,
    columns: list[str],
    is_excel: bool = False,
    is_gzip: bool = False,
) -> int:
    """The command line's export: audited like any other, written straight to a file; return rows."""
    export = _new_export(campaign, actor, None, filters, columns, is_excel, is_gzip)
    db.session.commit()
    with running(export.id):
        export.status = ExportStatus.RUNNING
        db.session.commit()
        try:
            written = write_file(export, destination)
        except Exception:
            destination.unlink(missing_ok=True)
            finish(export.id, ExportStatus.FAILED, error=reasons.WRITE_FAILED)
            raise
        finish(export.id, ExportStatus.DONE, written_rows=written)
    return written
