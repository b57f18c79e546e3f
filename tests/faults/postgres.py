"""A private PostgreSQL cluster that a test may stop and start: initdb and pg_ctl on a free port."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.support.workers import free_port


def server_binaries() -> Path:
    """The newest installed PostgreSQL's bin folder (Debian keeps them under /usr/lib/postgresql/N/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    assert found, "PostgreSQL's server binaries (initdb, pg_ctl) are not installed"
    return Path(found[-1]).parent


class Cluster:
    """One PostgreSQL server in a folder of its own, on 127.0.0.1 and a port of its own."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.bin = server_binaries()
        # initdb refuses to run as root: the cluster then belongs to the postgres user.
        self.user = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}

    def _run(self, *args: str) -> None:
        """Run one of the server's programs as the cluster's owner."""
        subprocess.run(args, check=True, capture_output=True, timeout=60, **self.user)  # type: ignore[call-overload]

    def create(self) -> None:
        """Make the cluster's files (trust authentication: it listens on loopback for this test only)."""
        self._run(
            str(self.bin / "initdb"), "-D", str(self.folder / "data"), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-l", str(self.folder / "server.log"),
            "-o", options, "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server at once (fast shutdown: open sessions are ended) and wait until it is down."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        """A connection URL for a database of this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create a database; return its URL."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def private_cluster() -> Iterator[Cluster]:
    """A fresh cluster, running, removed with its files at the end."""
    folder = Path(tempfile.mkdtemp(prefix="campaign-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, free_port())
    cluster.create()
    cluster.start()
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped by the test
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
