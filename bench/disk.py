"""The disk's own stalls, measured beside a benchmark: how long a WAL-sized write and its fdatasync take.

PostgreSQL waits for one fdatasync of its WAL at every commit, so no answered
signature can come back sooner than the disk syncs. On a shared virtual disk a
sync now and then takes hundreds of milliseconds with nothing of ours running
(seen here on an idle machine: 153 and 336 ms within one minute), and every
commit waiting at that moment waits with it: the web processes, the worker's
sent marks, the fold. A benchmark's latency tail is read against these stalls.

`Probe` runs `python -m bench.disk FILE` beside the benchmark: it writes 8 KB
(one WAL page) at a rolling offset of a preallocated file in the run's folder
and syncs it, every 20 ms, until told to stop, then prints what it saw. The
folder is checked to be on the database's disk when the database says where
its data is.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import psycopg

from bench import stats
from bench.stack import Stack

STALL_MS = 50.0
"""A sync slower than this is a stall (a commit normally syncs within a few milliseconds here)."""
INTERVAL_S = 0.02
PAGE = b"\0" * 8192
FILE_PAGES = 128
DRAIN_S = 0.5
"""After a stall, the requests that queued during it still drain: they count as the stall's."""


@dataclass(frozen=True)
class Stall:
    """One slow sync: when it began (time.monotonic(), shared by every process here) and how long it took."""

    at: float
    ms: float

    @property
    def end(self) -> float:
        """When the sync returned."""
        return self.at + self.ms / 1000


@dataclass
class Disk:
    """What the probe saw: how many syncs, their latency, and the stalls among them."""

    syncs: int = 0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    max_ms: float = float("nan")
    stalls: list[Stall] = field(default_factory=list)
    same_disk: bool | None = None

    def during(self, moment: float) -> bool:
        """Whether a moment falls in a stall or in the DRAIN_S after it."""
        return any(stall.at <= moment <= stall.end + DRAIN_S for stall in self.stalls)

    def brief(self) -> str:
        """The stalls in a few words, for a round's line."""
        if not self.syncs:
            return "disk not probed"
        if not self.stalls:
            return f"no disk stall over {STALL_MS:g} ms"
        longest = max(stall.ms for stall in self.stalls)
        return f"disk stalls over {STALL_MS:g} ms: {len(self.stalls)}, longest {longest:.0f} ms"

    def summary(self) -> str:
        """One line for the report."""
        where = "in the run's folder"
        if self.same_disk is not None:
            where = "on the database's disk" if self.same_disk else "NOT on the database's disk"
        longest = max((stall.ms for stall in self.stalls), default=0.0)
        return (
            f"{self.syncs:,} syncs of an 8 KB write ({where}), p50/p99/max "
            f"{self.p50_ms:.1f}/{self.p99_ms:.1f}/{self.max_ms:.0f} ms; {len(self.stalls)} over "
            f"{STALL_MS:g} ms (longest {longest:.0f} ms)"
        )


class Probe:
    """`with Probe(folder, data_directory) as probe: ...`, then `probe.disk`."""

    def __init__(self, folder: Path, data_directory: str | None = None) -> None:
        """Probe the disk that holds `folder`; compare it with the database's when that is known."""
        self.file = folder / "disk-probe"
        self.data_directory = data_directory
        self.process: subprocess.Popen[str] | None = None
        self.disk = Disk()

    def __enter__(self) -> Probe:
        """Start the probe; it runs until the block ends."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.disk", str(self.file)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Stop the probe and read what it saw."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            output, _ = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        self.disk = parse(output)
        self.disk.same_disk = _same_disk(self.file.parent, self.data_directory)
        self.file.unlink(missing_ok=True)


def probe(stack: Stack) -> Probe:
    """A probe in the run's folder, compared with the disk the database says its data is on."""
    try:
        with stack.connect() as connection:
            row = connection.execute("SHOW data_directory").fetchone()
    except psycopg.Error:  # not a superuser, or no pg_read_all_settings: the comparison is skipped
        row = None
    return Probe(stack.folder, str(row[0]) if row else None)


def parse(output: str) -> Disk:
    """The probe's one JSON line, or an empty Disk if it printed none."""
    line = next((ln for ln in output.splitlines() if ln.startswith("{")), None)
    if line is None:
        return Disk()
    data = json.loads(line)
    return Disk(
        syncs=int(data["syncs"]),
        p50_ms=float(data["p50_ms"]),
        p99_ms=float(data["p99_ms"]),
        max_ms=float(data["max_ms"]),
        stalls=[Stall(float(at), float(ms)) for at, ms in data["stalls"]],
    )


def _same_disk(folder: Path, data_directory: str | None) -> bool | None:
    """Whether the folder and the database's data are on one device (None if the data is unreadable)."""
    if not data_directory:
        return None
    try:
        return os.stat(folder).st_dev == os.stat(data_directory).st_dev
    except OSError:
        return None


def main(path: str) -> None:
    """Write and sync every INTERVAL_S until SIGTERM, then print the syncs' figures as one JSON line."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for page in range(FILE_PAGES):  # preallocated, as WAL segments are: a sync flushes data, not size
            os.pwrite(descriptor, PAGE, page * len(PAGE))
        os.fsync(descriptor)
        durations: list[float] = []
        stalls: list[tuple[float, float]] = []
        n = 0
        while not stopping:
            started = time.monotonic()
            os.pwrite(descriptor, PAGE, n % FILE_PAGES * len(PAGE))
            os.fdatasync(descriptor)
            ms = (time.monotonic() - started) * 1000
            durations.append(ms)
            if ms > STALL_MS:
                stalls.append((started, ms))
            n += 1
            time.sleep(INTERVAL_S)
    finally:
        os.close(descriptor)
    print(
        json.dumps(
            {
                "syncs": len(durations),
                "p50_ms": stats.percentile(durations, 0.5),
                "p99_ms": stats.percentile(durations, 0.99),
                "max_ms": max(durations, default=float("nan")),
                "stalls": stalls,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1])
