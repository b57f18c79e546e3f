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
    """One PostgreSQL server in a folder of its own, on an address (127.0.0.1 unless told) and a port.

    `netns` runs the server inside that network namespace (a host of tests/faults/netns.py);
    `settings` are more server settings (`-c name=value`).
    """

    def __init__(
        self,
        folder: Path,
        port: int,
        listen: str = "127.0.0.1",
        netns: str | None = None,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.folder = folder
        self.port = port
        self.listen = listen
        self.netns = netns
        self.settings = settings or {}
        self.bin = server_binaries()
        # initdb refuses to run as root: the cluster then belongs to the postgres user.
        self.user = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}

    def _run(self, *args: str) -> None:
        """Run one of the server's programs as the cluster's owner (in its namespace, if it has one)."""
        user = self.user
        if self.netns is not None:
            # Entering a namespace takes root: the owner is taken on inside it, by runuser.
            owner = ["runuser", "-u", "postgres", "--"] if user else []
            args = ("ip", "netns", "exec", self.netns, *owner, *args)
            user = {}
        subprocess.run(args, check=True, capture_output=True, timeout=60, **user)  # type: ignore[call-overload]

    def create(self) -> None:
        """Make the cluster's files (trust authentication: it listens on loopback for this test only)."""
        self._run(
            str(self.bin / "initdb"), "-D", str(self.folder / "data"), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--no-sync",
        )  # fmt: skip
        if self.netns is not None:
            # initdb trusts loopback only; in a namespace, the hosts on the test's own network too.
            with (self.folder / "data" / "pg_hba.conf").open("a") as hba:
                hba.write("host all all samenet trust\n")

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        settings = {"listen_addresses": self.listen, "fsync": "off", **self.settings}
        options = f"-p {self.port} -k {self.folder} " + " ".join(f"-c {k}={v}" for k, v in settings.items())
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-l", str(self.folder / "server.log"),
            "-o", options, "-w", "start",
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server at once (fast shutdown: open sessions are ended) and wait until it is down."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        """A connection URL for a database of this cluster, over TCP to its address."""
        return f"postgresql://postgres@{self.listen}:{self.port}/{database}"

    def socket_url(self, database: str) -> str:
        """A connection URL over the server's Unix socket: it works from any network namespace."""
        return f"postgresql://postgres@/{database}?host={self.folder}&port={self.port}"

    def create_database(self, name: str) -> str:
        """Create a database; return its URL."""
        with psycopg.connect(self.socket_url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def private_cluster(
    listen: str = "127.0.0.1",
    port: int | None = None,
    netns: str | None = None,
    settings: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    """A fresh cluster, running, removed with its files at the end (see Cluster for the options)."""
    folder = Path(tempfile.mkdtemp(prefix="campaign-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, port or free_port(), listen, netns, settings)
    try:
        cluster.create()
        cluster.start()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped by the test
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
