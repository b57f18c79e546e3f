"""Exporting signature lists: streamed to a CSV file, audited, inert in a spreadsheet, short-lived.

Rows stream through a server-side cursor, so a million signatures never sit
in memory; the worker that writes the file holds the private keys and opens
each signature's sealed data (names, email, postal code, comment, own words)
as it goes, in batches, and on PostgreSQL a big export is shared out among
EXPORT_PROCESSES processes (campaign.exports.rows). Every text cell that a
spreadsheet would run as a formula gets a leading quote.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pycountry
from flask import current_app
from flask_babel import gettext
from sqlalchemy import DateTime, Select, String, bindparam, func, select, text, update
from sqlalchemy.sql.functions import coalesce
from sqlalchemy.types import TypeEngine

from campaign import clock, dispatch
from campaign.audit.service import record
from campaign.campaigns.models import Campaign
from campaign.exports import rows
from campaign.exports.models import Export, ExportStatus
from campaign.exports.rows import FORMULA_STARTS
from campaign.extensions import db
from campaign.signing.models import PERSONAL_FIELDS, SEALED_PURPOSE, Signature, SignatureStatus

log = logging.getLogger(__name__)

RUN_TASK = "exports.run"
# How many rows between two progress updates.
PROGRESS_EVERY = 20_000


class ExportError(ValueError):
    """The export cannot be made as asked; the message says why."""


# name -> (heading, column, or the index of a sealed field (campaign.signing.models.PERSONAL_FIELDS))
COLUMNS: dict[str, tuple[str, Any]] = {
    "id": ("Signature ID", Signature.id),
    "given_name": ("First name", PERSONAL_FIELDS.index("given_name")),
    "family_name": ("Last name", PERSONAL_FIELDS.index("family_name")),
    "email": ("Email", PERSONAL_FIELDS.index("email")),
    "country": ("Country", Signature.country),
    "region": ("Region", coalesce(Signature.region, "")),
    "postal_code": ("Postal code", PERSONAL_FIELDS.index("postal_code")),
    "status": ("Status", Signature.status),
    "created_at": ("Signed at (UTC)", Signature.created_at),
    "validated_at": ("Confirmed at (UTC)", Signature.validated_at),
    "email_opt_in": ("Agreed to updates", Signature.has_email_opt_in),
    "consent_version": ("Consent wording", Signature.consent_version),
    "source": ("Source", coalesce(Signature.source, "")),
    "comment": ("Comment", PERSONAL_FIELDS.index("comment")),
    "message": ("Own words", PERSONAL_FIELDS.index("message")),
}
DEFAULT_COLUMNS = ["given_name", "family_name", "email", "country", "postal_code", "validated_at"]
STATUSES = ("validated", "pending", "invalidated", "all")


@dataclass(frozen=True)
class ExportFilters:
    """Which signatures go into an export."""

    status: str = "validated"
    signed_from: date | None = None
    signed_to: date | None = None
    country: str | None = None
    region: str | None = None
    opted_in_only: bool = False
    source: str | None = None

    def check(self) -> None:
        """Refuse filters that make no sense, with a message for the person who chose them."""
        if self.status not in STATUSES:
            raise ExportError(
                gettext(
                    "Unknown status %(status)s: choose one of %(statuses)s.",
                    status=repr(self.status),
                    statuses=", ".join(STATUSES),
                )
            )
        if self.signed_from and self.signed_to and self.signed_from > self.signed_to:
            raise ExportError(gettext("The start date is after the end date."))
        if self.country and pycountry.countries.get(alpha_2=self.country) is None:
            raise ExportError(gettext("Unknown country code %(code)s.", code=repr(self.country)))

    def as_json(self) -> dict[str, Any]:
        """The filters as stored with the export and in the audit log."""
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items() if v}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportFilters:
        """Read stored filters."""
        values = dict(data)
        for key in ("signed_from", "signed_to"):
            if values.get(key):
                values[key] = date.fromisoformat(values[key])
        return cls(**values)


def check_columns(columns: list[str]) -> list[str]:
    """The chosen columns, or the defaults; an unknown name is refused."""
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise ExportError(gettext("Unknown columns: %(columns)s.", columns=", ".join(unknown)))
    return columns or list(DEFAULT_COLUMNS)


def rows_query(campaign_id: int, filters: ExportFilters, columns: list[str]) -> Select[Any]:
    """The SELECT of an export, in signature order: the plain columns chosen, then the seal."""
    plain = [COLUMNS[name][1].label(name) for name in columns if not isinstance(COLUMNS[name][1], int)]
    query = select(*plain, Signature.sealed)
    if len(plain) < len(columns):
        # Withdrawn, erased and anonymised signatures name no one: nothing to list.
        query = query.where(Signature.sealed.is_not(None))
    return _filtered(query, campaign_id, filters).order_by(Signature.id)


def _filtered(query: Select[Any], campaign_id: int, filters: ExportFilters) -> Select[Any]:
    """Apply the filters to a query over signatures."""
    query = query.where(Signature.campaign_id == campaign_id)
    if filters.status != "all":
        query = query.where(Signature.status == SignatureStatus(filters.status))
    if filters.signed_from:
        query = query.where(Signature.created_at >= _midnight(filters.signed_from))
    if filters.signed_to:
        query = query.where(Signature.created_at < _midnight(filters.signed_to) + timedelta(days=1))
    if filters.country:
        query = query.where(Signature.country == filters.country)
    if filters.region:
        query = query.where(Signature.region == filters.region)
    if filters.opted_in_only:
        query = query.where(Signature.has_email_opt_in.is_(True))
    if filters.source:
        query = query.where(Signature.source == filters.source)
    return query


def _midnight(day: date) -> datetime:
    """The start of a day (UTC, as stored)."""
    return datetime.combine(day, datetime.min.time())


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


def run_export(export_id: int) -> ExportStatus:
    """Write the export's file, once; a second run of the same export does nothing."""
    with _running(export_id):
        # The file's name is recorded with the claim, so a sweep can remove it if
        # this worker dies; nobody downloads it before the export is done.
        file_name = f"{secrets.token_hex(16)}.csv"
        claimed = db.session.execute(
            update(Export)
            .where(Export.id == export_id, Export.status == ExportStatus.QUEUED)
            .values(status=ExportStatus.RUNNING, file_name=file_name)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        export = db.session.get_one(Export, export_id)
        if not getattr(claimed, "rowcount", 0):
            return export.status
        if export.is_gzip:
            file_name = _recorded_name(export_id, f"{file_name}.gz")
        path = export_folder() / file_name
        try:
            written = write_file(export, path)
        except Exception:
            path.unlink(missing_ok=True)
            log.exception("export %s failed", export_id)
            _finish(export_id, ExportStatus.FAILED, error="The export failed; please ask for it again.",
                    file_name=None)  # fmt: skip
            raise
        _finish(export_id, ExportStatus.DONE, file_name=file_name, written_rows=written)
    return ExportStatus.DONE


def _recorded_name(export_id: int, file_name: str) -> str:
    """Record the running export's file name; return it."""
    db.session.execute(update(Export).where(Export.id == export_id).values(file_name=file_name))
    db.session.commit()
    return file_name


# Whose worker is gone: on PostgreSQL a running export's worker holds a
# session-level advisory lock on its id, on a connection of its own, for as
# long as it writes; PostgreSQL drops it with the connection when the worker
# dies. So "running, and nobody holds its lock" means "its worker is gone".
# (Taken before the claim commits, so there is no moment where a live export
# looks orphaned.) On SQLite, and as a backstop, an export still running
# EXPORT_RUNNING_LIMIT_SECONDS after it was asked for is failed: the task's
# time limit (campaign/taskqueue.py) has stopped it long before.
_EXPORT_LOCKS = 0x657870  # "exp"
_ORPHANED_EXPORTS = text("""
SELECT id FROM exports
WHERE status = 'running'
  AND CASE WHEN status = 'running'
      THEN pg_try_advisory_xact_lock(CAST(:namespace AS integer), id)
      ELSE false END
FOR UPDATE SKIP LOCKED
""")
ABANDONED = "The export stopped when its worker did; please ask for it again."


@contextmanager
def _running(export_id: int) -> Iterator[None]:
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
        ids.update(db.session.execute(_ORPHANED_EXPORTS, {"namespace": _EXPORT_LOCKS}).scalars())
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


def write_file(export: Export, path: Path) -> int:
    """Stream the export's rows into a CSV file at path; return how many rows.

    More than EXPORT_CHUNK_ROWS rows on PostgreSQL are written in chunks of
    about that many by EXPORT_PROCESSES processes at once; the bytes are the same.
    """
    filters = ExportFilters.from_json(export.filters)
    query = rows_query(export.campaign_id, filters, export.columns)
    listed = query.order_by(None).with_only_columns(Signature.id).subquery()
    total, first_id, last_id = db.session.execute(
        select(func.count(), func.min(listed.c.id), func.max(listed.c.id))
    ).one()
    _progress(export.id, total_rows=total)
    layout = _layout(export.columns)
    processes = current_app.config["EXPORT_PROCESSES"]
    chunk_rows = max(1, current_app.config["EXPORT_CHUNK_ROWS"])
    with _open(path, export.is_gzip) as out:
        if export.is_excel:
            out.write("\ufeff".encode())  # a byte-order mark, so Excel reads UTF-8
        out.write(_csv_line([COLUMNS[name][0] for name in export.columns]))
        if processes > 1 and total > chunk_rows and rows.can_fork(db.session.connection()):
            spans = _spans(first_id, last_id, total, chunk_rows)
            log.info("export %s: %d rows in %d chunks, %d processes", export.id, total, len(spans), processes)
            written = rows.write_in_chunks(
                out,
                query.where(Signature.id.between(bindparam(rows.FIRST_ID), bindparam(rows.LAST_ID))),
                layout,
                spans,
                processes=processes,
                scratch=path.parent,
                on_progress=lambda written: _progress(export.id, written_rows=written),
            )
        else:
            written = _write_rows(export.id, query, layout, out)
    db.session.commit()
    return written


@contextmanager
def _open(path: Path, is_gzip: bool) -> Iterator[IO[bytes]]:
    """A binary file for the export, compressed if asked; readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = path.open("xb")
    path.chmod(0o600)
    try:
        if is_gzip:
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=5) as zipped:
                yield zipped  # type: ignore[misc]
        else:
            yield raw
    finally:
        raw.close()


def _layout(columns: list[str]) -> rows.Layout:
    """Where each chosen column comes from: the seal, or the plain columns fetched before it, in order."""
    cells: list[tuple[str, int]] = []
    position = 0
    for name in columns:
        source = COLUMNS[name][1]
        if isinstance(source, int):
            cells.append((rows.SEALED, source))
        else:
            cells.append((_kind(source.type), position))
            position += 1
    return rows.Layout(tuple(cells), SEALED_PURPOSE)


def _kind(column_type: TypeEngine[Any]) -> str:
    """How a plain column's values are made inert: as text, as a time, or left as they are."""
    if isinstance(column_type, DateTime):
        return rows.TIME
    # Enum is a String: a status is text like any other.
    return rows.TEXT if isinstance(column_type, String) else rows.VALUE


def _csv_line(cells: list[str]) -> bytes:
    """One line of CSV, as the rows are written."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue().encode()


def _spans(first_id: int, last_id: int, total: int, chunk_rows: int) -> list[tuple[int, int]]:
    """Disjoint id ranges covering first_id..last_id, in order, of about chunk_rows rows each."""
    count = -(-total // chunk_rows)
    width = -(-(last_id - first_id + 1) // count)
    return [(low, min(low + width - 1, last_id)) for low in range(first_id, last_id + 1, width)]


def _write_rows(export_id: int, query: Select[Any], layout: rows.Layout, out: IO[bytes]) -> int:
    """Write the rows in this process, batch after batch; return how many."""
    written = 0
    for batch in rows.batches(query, db.session.connection()):
        out.write(rows.csv_bytes(batch, layout))
        before, written = written, written + len(batch)
        if written // PROGRESS_EVERY > before // PROGRESS_EVERY:
            _progress(export_id, written_rows=written)
    return written


def defused(text: str) -> str:
    """Text a spreadsheet will show rather than run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def inert(value: object) -> object:
    """A cell value a spreadsheet will show rather than run."""
    if isinstance(value, str):
        return defused(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return value


def _progress(export_id: int, **values: int) -> None:
    """Record progress on a connection of its own, so the page sees it while rows stream."""
    with db.engine.begin() as connection:
        connection.execute(update(Export).where(Export.id == export_id).values(**values))


def _finish(export_id: int, status: ExportStatus, **values: object) -> None:
    """Record how the export ended."""
    db.session.rollback()
    db.session.execute(
        update(Export)
        .where(Export.id == export_id)
        .values(status=status, finished_at=clock.now(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def export_folder() -> Path:
    """Where export files wait to be downloaded."""
    return Path(current_app.config.get("EXPORT_FOLDER") or Path(current_app.instance_path) / "exports")


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
    with _running(export.id):
        export.status = ExportStatus.RUNNING
        db.session.commit()
        try:
            written = write_file(export, destination)
        except Exception:
            destination.unlink(missing_ok=True)
            _finish(export.id, ExportStatus.FAILED, error="The export failed.")
            raise
        _finish(export.id, ExportStatus.DONE, written_rows=written)
    return written
