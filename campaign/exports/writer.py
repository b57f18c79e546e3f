"""Writing an export's file: the worker's task, the CSV's layout, and its progress as rows stream.

Rows stream through a server-side cursor, so a million signatures never sit
in memory; the worker that writes the file holds the private keys and opens
each signature's sealed data (names, email, postal code, comment, own words)
as it goes, in batches, and on PostgreSQL a big export is shared out among
EXPORT_PROCESSES processes (campaign.exports.rows). Every text cell that a
spreadsheet would run as a formula gets a leading quote (campaign.exports.cells).
"""

from __future__ import annotations

import csv
import gzip
import io
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import DateTime, Select, String, bindparam, func, select, update
from sqlalchemy.types import TypeEngine

from campaign import clock, task_names
from campaign.exports import reasons, rows
from campaign.exports.files import export_folder, running
from campaign.exports.filters import COLUMNS, ExportFilters, rows_query
from campaign.exports.models import Export, ExportStatus
from campaign.extensions import db
from campaign.signing.models import SEALED_PURPOSE, Signature

log = logging.getLogger(__name__)

RUN_TASK = task_names.RUN_EXPORT
# How many rows between two progress updates.
PROGRESS_EVERY = 20_000


def run_export(export_id: int) -> ExportStatus:
    """Write the export's file, once; a second run of the same export does nothing."""
    with running(export_id):
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
            finish(export_id, ExportStatus.FAILED, error=reasons.WRITE_FAILED, file_name=None)
            raise
        finish(export_id, ExportStatus.DONE, file_name=file_name, written_rows=written)
    return ExportStatus.DONE


def _recorded_name(export_id: int, file_name: str) -> str:
    """Record the running export's file name; return it."""
    db.session.execute(update(Export).where(Export.id == export_id).values(file_name=file_name))
    db.session.commit()
    return file_name


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


def _progress(export_id: int, **values: int) -> None:
    """Record progress on a connection of its own, so the page sees it while rows stream."""
    with db.engine.begin() as connection:
        connection.execute(update(Export).where(Export.id == export_id).values(**values))


def finish(export_id: int, status: ExportStatus, **values: object) -> None:
    """Record how the export ended."""
    db.session.rollback()
    db.session.execute(
        update(Export)
        .where(Export.id == export_id)
        .values(status=status, finished_at=clock.now(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
