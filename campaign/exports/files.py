"""Export files and how they end: the folder they wait in, expiry, and the sweep of exports whose worker died.

A file holds personal data, so it lives only as long as it must: until
EXPORT_TTL_HOURS after it was asked for, or until its worker is found gone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select, text

from campaign import claims, clock
from campaign.exports.models import Export, ExportStatus
from campaign.exports.reasons import ABANDONED
from campaign.extensions import db

log = logging.getLogger(__name__)


def export_folder() -> Path:
    """Where export files wait to be downloaded."""
    return Path(current_app.config.get("EXPORT_FOLDER") or Path(current_app.instance_path) / "exports")


# Whose worker is gone: on PostgreSQL a running export's worker holds a
# session-level advisory lock on its id, on a connection of its own, for as
# long as it writes; PostgreSQL drops it with the connection when the worker
# dies. So "running, and nobody holds its lock" means "its worker is gone".
# (Taken before the claim commits, so there is no moment where a live export
# looks orphaned.) On SQLite, and as a backstop, an export still running
# EXPORT_RUNNING_LIMIT_SECONDS after it was asked for is failed: the task's
# time limit (campaign/taskqueue.py) has stopped it long before.
_EXPORT_LOCKS = 0x657870  # "exp"
# Running exports whose worker is gone: nobody holds their advisory lock (campaign.claims).
_ORPHANED_EXPORTS = claims.orphaned(Export, ExportStatus.RUNNING, Export.id, _EXPORT_LOCKS)


@contextmanager
def running(export_id: int) -> Iterator[None]:
    """Hold the export's advisory lock (PostgreSQL) while the block writes it."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    key = {"namespace": _EXPORT_LOCKS, "id": export_id}
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(
            text("SELECT pg_advisory_lock(CAST(:namespace AS integer), CAST(:id AS integer))"), key
        )
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock_all()"))


def fail_abandoned_exports(now: datetime | None = None) -> int:
    """Fail running exports whose worker is gone or that ran past their limit, removing their files;
    return how many."""
    limit = timedelta(seconds=current_app.config["EXPORT_RUNNING_LIMIT_SECONDS"])
    too_old = (Export.status == ExportStatus.RUNNING) & (Export.created_at < (now or clock.now()) - limit)
    ids = set(
        db.session.execute(select(Export.id).where(too_old).with_for_update(skip_locked=True)).scalars()
    )
    if db.session.get_bind().dialect.name == "postgresql":
        ids.update(db.session.execute(_ORPHANED_EXPORTS).scalars())
    abandoned = db.session.execute(select(Export).where(Export.id.in_(ids))).scalars().all()
    for export in abandoned:
        if export.file_name:
            (export_folder() / export.file_name).unlink(missing_ok=True)
        export.status = ExportStatus.FAILED
        export.error = ABANDONED
        export.file_name = None
        export.finished_at = clock.now()
        log.warning("export %s failed: its worker stopped", export.id)
    db.session.commit()  # also ends the transaction holding the orphans' locks
    _remove_stale_chunks(limit)
    return len(abandoned)


def _remove_stale_chunks(limit: timedelta) -> None:
    """Delete chunk files (personal data) left by export processes killed mid-write, once stale."""
    folder = export_folder()
    if not folder.is_dir():
        return
    oldest = time.time() - limit.total_seconds()  # file times are the real clock's
    for chunk in folder.glob(".*.part"):
        if chunk.stat().st_mtime < oldest:
            chunk.unlink(missing_ok=True)


def expire_exports(now: datetime | None = None) -> int:
    """Delete the files of exports past their time; return how many."""
    moment = now or clock.now()
    expired = (
        db.session.execute(
            select(Export).where(
                Export.expires_at <= moment,
                Export.status.in_([ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.QUEUED]),
            )
        )
        .scalars()
        .all()
    )
    for export in expired:
        if export.file_name:
            (export_folder() / export.file_name).unlink(missing_ok=True)
        export.status = ExportStatus.EXPIRED
        export.file_name = None
    db.session.commit()
    return len(expired)
