"""An export's rows: fetched in batches, opened, made inert and written as CSV, by one process or several.

On PostgreSQL rows come through a server-side cursor in psycopg's binary
format, as plain tuples: for a million rows SQLAlchemy's row objects cost
more than opening the seals. A batch is opened at once (one key lookup per
run of values sealed under the same data key), made inert column by column
and written with one call to the csv module.

A big export on PostgreSQL is cut by signature id into chunks that forked
child processes write to files of their own (forked, so they hold the keys
this worker holds), all reading the one snapshot this transaction exports;
the parent appends the chunks in id order. The file is the same bytes one
process would write, and memory stays flat however many rows there are.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import shutil
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

from psycopg import sql
from sqlalchemy import Connection, Dialect, Select

from campaign.exports.cells import defused_column
from campaign.extensions import db
from campaign.privacy.vault import open_many

# Rows fetched, opened and written at a time.
BATCH_ROWS = 5000
# Where a cell comes from: a field of the seal, or a plain column that is text, a time, or anything else.
SEALED, TEXT, TIME, VALUE = "sealed", "text", "time", "value"
# The two bind parameters a chunked query bounds its signature ids with (inclusive).
FIRST_ID, LAST_ID = "first_id", "last_id"


@dataclass(frozen=True)
class Layout:
    """Where each cell of a row comes from: (SEALED, index in the seal) or (TEXT, TIME or VALUE, index).

    The index of a plain column is its place in the fetched row, which holds
    the plain columns, then the seal last.
    """

    cells: tuple[tuple[str, int], ...]
    purpose: str

    @property
    def needs_seal(self) -> bool:
        """Whether any cell comes from the seal."""
        return any(kind == SEALED for kind, _ in self.cells)


def csv_bytes(batch: Sequence[Sequence[Any]], layout: Layout) -> bytes:
    """A batch of fetched rows as CSV lines (UTF-8, CRLF), seals opened, every text cell inert."""
    opened = open_many([row[-1] for row in batch], purpose=layout.purpose) if layout.needs_seal else []
    columns: list[list[Any]] = []
    for kind, index in layout.cells:
        values: list[Any] = (
            [fields[index] for fields in opened] if kind == SEALED else [row[index] for row in batch]
        )
        # Column by column, in comprehensions: a function call per cell would cost more than the crypto.
        if kind in (SEALED, TEXT):
            values = defused_column(values)
        elif kind == TIME:
            values = [None if value is None else value.isoformat(" ", "seconds") for value in values]
        columns.append(values)
    buffer = io.StringIO()
    # CRLF, as RFC 4180: the csv module quotes only the line ending's characters, so a \r in a value needs it.
    csv.writer(buffer, lineterminator="\r\n").writerows(zip(*columns, strict=True))
    return buffer.getvalue().encode()


def batches(query: Select[Any], connection: Connection) -> Iterator[Sequence[Sequence[Any]]]:
    """The query's rows, BATCH_ROWS at a time, streamed rather than loaded."""
    if _is_psycopg(connection.dialect):
        statement, parameters = compiled(query, connection.dialect)
        yield from _server_batches(connection.connection.driver_connection, statement, parameters)
    else:
        yield from connection.execute(query.execution_options(yield_per=BATCH_ROWS)).partitions()


def can_fork(connection: Connection) -> bool:
    """Whether chunks can be written by child processes here: PostgreSQL through psycopg, and fork."""
    return _is_psycopg(connection.dialect) and hasattr(os, "fork")


def _is_psycopg(dialect: Dialect) -> bool:
    """PostgreSQL through psycopg 3, whose connection the fast path uses directly."""
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def compiled(query: Select[Any], dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """The query's SQL and its parameters as SQLAlchemy would hand them to the driver."""
    statement = query.compile(dialect=dialect)
    parameters = {}
    for name, value in statement.params.items():
        # Each bind's own type converts it (an enum member to the string the column stores).
        processor = statement.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        parameters[name] = processor(value) if processor else value
    return str(statement), parameters


def _server_batches(driver: Any, statement: str, parameters: dict[str, Any]) -> Iterator[list[Any]]:
    """Rows of a psycopg server-side cursor in binary format, inside the connection's transaction."""
    with driver.cursor(name="export_rows", binary=True) as cursor:
        cursor.execute(statement, parameters)
        while batch := cursor.fetchmany(BATCH_ROWS):
            yield batch


class ChunkFailed(RuntimeError):
    """A process writing chunks of an export failed or stopped; the message says how."""


@dataclass(frozen=True)
class _Job:
    """What a child process needs to write chunks: the chunked query, the layout, the shared snapshot."""

    statement: str
    parameters: dict[str, Any]
    layout: Layout
    snapshot: str


def write_in_chunks(
    out: IO[bytes],
    query: Select[Any],
    layout: Layout,
    spans: Sequence[tuple[int, int]],
    *,
    processes: int,
    scratch: Path,
    on_progress: Callable[[int], None],
) -> int:
    """Write the query's rows, one chunk per id span, by child processes; return how many rows.

    The query bounds its ids with the FIRST_ID and LAST_ID parameters; the
    spans are disjoint and in order. Child k writes chunks k, k + n, k + 2n...
    to files of their own in `scratch` (readable by their owner only) and
    reports each as it is done; this process appends them in order and
    deletes each at once.
    """
    connection = db.session.connection()
    statement, parameters = compiled(query, connection.dialect)
    # Every child reads what this transaction sees, as a single cursor would.
    snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
    job = _Job(statement, parameters, layout, snapshot)
    parts = [scratch / f".{os.getpid()}-{id(job):x}-{number}.part" for number in range(len(spans))]
    count = min(processes, len(spans))
    children: list[_Child] = []
    try:
        for number in range(count):
            children.append(_Child.fork(job, spans[number::count], parts[number::count]))
        written = 0
        for number, part in enumerate(parts):
            written += children[number % count].next_chunk()
            with part.open("rb") as chunk:
                shutil.copyfileobj(chunk, out, 1 << 20)
            part.unlink()
            on_progress(written)
        return written
    finally:
        for child in children:
            child.stop()
        for part in parts:
            part.unlink(missing_ok=True)


@dataclass
class _Child:
    """A forked process writing chunks, and the pipe on which it reports each one.

    Not a multiprocessing pool: those refuse to start in Celery's prefork
    workers (daemonic processes), and a child here needs no task queue, as it
    knows its chunks from the start. It ends when they are written, or at
    the first report it cannot deliver, should this process be gone.
    """

    pid: int
    reports: IO[str]

    @classmethod
    def fork(cls, job: _Job, spans: Sequence[tuple[int, int]], parts: Sequence[Path]) -> _Child:
        """Start a child that writes these chunks, in order."""
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(reader)
            _run_child(job, spans, parts, writer)
        os.close(writer)
        return cls(pid, os.fdopen(reader, "r", encoding="utf-8"))

    def next_chunk(self) -> int:
        """Wait for the child's next chunk; return its rows, or raise ChunkFailed with the child's reason."""
        report = self.reports.readline().strip()
        if report.isdigit():
            return int(report)
        raise ChunkFailed(report or "a process writing the export stopped before its end")

    def stop(self) -> None:
        """Close the pipe and reap the child, ending it first if it is still at work (after a failure)."""
        self.reports.close()
        try:
            if os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass  # reaped already, by a handler of the host process


def _run_child(job: _Job, spans: Sequence[tuple[int, int]], parts: Sequence[Path], writer: int) -> NoReturn:
    """In a new child: write the chunks, report each (rows, or why it failed), and exit without cleanup."""
    status = 1
    try:
        with os.fdopen(writer, "w", encoding="utf-8", buffering=1) as reports:
            try:
                # What the child inherits lives as long as it does: the collector need not scan it
                # again and again as batches come and go (a sixth of the child's time otherwise).
                gc.freeze()
                # The pool's connections belong to the parent: forget them here without closing them.
                db.engine.dispose(close=False)
                connection = db.engine.raw_connection()
                for span, part in zip(spans, parts, strict=True):
                    reports.write(f"{_write_chunk(connection.driver_connection, job, span, part)}\n")
                connection.close()
                status = 0
            except Exception as error:
                reason = f"{type(error).__name__}: {error}".replace("\n", " ")
                reports.write(f"{reason}\n")
    finally:
        # Never back into the parent's code: no atexit handlers, no flushing of its buffers.
        os._exit(status)


def _write_chunk(driver: Any, job: _Job, span: tuple[int, int], part: Path) -> int:
    """Write the rows of one id span to its own file, in the shared snapshot; return how many."""
    driver.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    driver.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(job.snapshot)))
    parameters = {**job.parameters, FIRST_ID: span[0], LAST_ID: span[1]}
    rows = 0
    with open(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        for batch in _server_batches(driver, job.statement, parameters):
            file.write(csv_bytes(batch, job.layout))
            rows += len(batch)
    driver.rollback()
    return rows
