"""The system under test and its baselines: a database, Redis keys and child processes of this run's own.

Everything started here is stopped by Stack.close(), which __main__ calls in a
finally block: process groups by their id, the database dropped, the Redis
keys under this run's prefix deleted.
"""

from __future__ import annotations

import contextlib
import html as html_module
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import redis

from bench.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
HOST = "127.0.0.1"
# The hidden inputs of a page's forms, and their name and value attributes in any order.
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTRIBUTE_NAME = re.compile(r'\bname="([^"]*)"')
ATTRIBUTE_VALUE = re.compile(r'\bvalue="([^"]*)"')


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class Child:
    """A child process in a process group of its own, its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        """Start the process now."""
        self.name = name
        self.log = log
        self._output = log.open("ab")
        self.process = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=self._output, stderr=subprocess.STDOUT, start_new_session=True
        )

    def is_running(self) -> bool:
        """Tell whether the process is still alive."""
        return self.process.poll() is None

    def stop(self) -> None:
        """Stop the whole process group (gunicorn and celery fork workers): TERM, then KILL."""
        if self.is_running():
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait()
        # Forked children left behind by a dead leader share its group id.
        self._signal(signal.SIGKILL)
        self._output.close()

    def _signal(self, signum: int) -> None:
        """Signal this child's own process group, if it still exists."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def wait_for_log(self, text: str, timeout: float = 60) -> None:
        """Wait until the log shows the text (a readiness line)."""
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text(errors="replace"):
            if not self.is_running() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not become ready:\n{self.tail()}")
            time.sleep(0.1)

    def tail(self, lines: int = 40) -> str:
        """The end of the log, for error messages."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class Stack:
    """The run's database, Redis prefix, temporary folder and child processes."""

    def __init__(self, settings: Settings) -> None:
        """Name the run's database, key prefix, folder and ports; nothing is created yet."""
        self.settings = settings
        self.run_id = secrets.token_hex(4)
        self.database = f"campaign_bench_{self.run_id}"
        self.database_url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.database
        self.key_prefix = f"campaign-bench-{self.run_id}:"
        self.folder = Path(tempfile.mkdtemp(prefix=f"campaign-bench-{self.run_id}-"))
        self.app_port = free_port()
        self.bare_port = free_port()
        self.smtp_port = free_port()
        self.children: dict[str, Child] = {}
        self._database_created = False
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": REDIS_URL,
            "CELERY_KEY_PREFIX": self.key_prefix,
            "REDIS_KEY_PREFIX": self.key_prefix,
            "SMTP_URL": f"smtp://{HOST}:{self.smtp_port}",
            "SECRET_KEY": secrets.token_hex(32),
            "BASE_URL": f"http://{HOST}:{self.app_port}",
            "TRUSTED_PROXY_HOPS": "1",
            "INSTANCE_PATH": str(self.folder / "instance"),
            "MAIL_FROM": "Campaigns <campaigns@example.org>",
            "BARE_DATABASE_URL": self.database_url,
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("FLASK_APP", None)

    @property
    def app_url(self) -> str:
        """Where the app's gunicorn listens."""
        return f"http://{HOST}:{self.app_port}"

    @property
    def bare_url(self) -> str:
        """Where the bare baseline's gunicorn listens."""
        return f"http://{HOST}:{self.bare_port}"

    # The database -----------------------------------------------------------

    def create_database(self) -> None:
        """Create this run's database, migrate it with the app's own command, seed the demo."""
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.database}"')
        self._database_created = True
        self.command([str(BIN / "campaign"), "db", "upgrade"])
        self.command([str(BIN / "campaign"), "keys", "init"])
        self.command([str(BIN / "campaign"), "seed-demo"])

    def connect(self, autocommit: bool = True) -> psycopg.Connection[Any]:
        """A connection to this run's database."""
        return psycopg.connect(self.database_url, autocommit=autocommit)

    def command(self, args: list[str]) -> None:
        """Run a command to completion in the run's environment; fail loudly."""
        done = subprocess.run(args, env=self.env, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    def apply_environment(self) -> None:
        """Let this process build the app (tokens, folding, publishing) on the run's database and broker."""
        os.environ.update({k: v for k, v in self.env.items() if k != "PYTHONUNBUFFERED"})

    # Child processes -----------------------------------------------------------

    def start(self, name: str, args: list[str]) -> Child:
        """Start a child process named `name` (one at a time per name)."""
        if name in self.children and self.children[name].is_running():
            raise RuntimeError(f"{name} is running already")
        child = Child(name, args, self.env, self.folder / f"{name}.log")
        self.children[name] = child
        return child

    def stop(self, name: str) -> None:
        """Stop one child process."""
        child = self.children.pop(name, None)
        if child is not None:
            child.stop()

    def start_gunicorn(self, name: str, app: str, port: int, ready_path: str) -> Child:
        """Serve a WSGI app under the run's shared gunicorn settings; wait until it answers."""
        args = [str(BIN / "gunicorn"), "--bind", f"{HOST}:{port}", *self.settings.gunicorn_args(), app]
        child = self.start(name, args)
        wait_http(HOST, port, ready_path, child)
        return child

    def start_app(self) -> Child:
        """The platform under gunicorn."""
        return self.start_gunicorn("app", "campaign:create_app()", self.app_port, "/healthz")

    def start_bare(self) -> Child:
        """The bare Flask baselines (hello world and one INSERT) under the same gunicorn settings."""
        return self.start_gunicorn("bare", "bench.bare_app:app", self.bare_port, "/")

    def start_worker(self, name: str = "worker") -> Child:
        """One Celery worker process (prefork, one child per core)."""
        args = [
            str(BIN / "celery"),
            "-A",
            "worker",
            "worker",
            f"--concurrency={self.settings.cores}",
            "--loglevel=info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"bench-{self.run_id}-{name}@%h",
        ]
        child = self.start(name, args)
        child.wait_for_log("ready.")
        return child

    def start_beat(self) -> Child:
        """Exactly one Celery beat."""
        schedule = self.folder / "celerybeat-schedule"
        args = [str(BIN / "celery"), "-A", "worker", "beat", "--loglevel=info", "--schedule", str(schedule)]
        child = self.start("beat", args)
        child.wait_for_log("beat: Starting")
        return child

    def start_smtp(self) -> Child:
        """The SMTP sink (aiosmtpd) in a Python process of its own."""
        child = self.start("smtp", [sys.executable, "-m", "bench.smtp_sink", str(self.smtp_port)])
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection((HOST, self.smtp_port), timeout=0.5).close()
                return child
            except OSError:
                if not child.is_running() or time.monotonic() > deadline:
                    raise RuntimeError(f"SMTP sink did not start:\n{child.tail()}") from None
                time.sleep(0.1)

    # The end ------------------------------------------------------------------

    def close(self, keep_logs: bool = False) -> None:
        """Stop every child, drop the database, delete the run's Redis keys (and the logs, unless kept)."""
        for name in list(self.children):
            with contextlib.suppress(Exception):
                self.stop(name)
        if self._database_created:
            with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self._database_created = False
        client = redis.Redis.from_url(REDIS_URL)
        try:
            for batch in _batches(client.scan_iter(match=self.key_prefix + "*", count=1000), 500):
                client.delete(*batch)
        finally:
            client.close()
        if not keep_logs:
            shutil.rmtree(self.folder, ignore_errors=True)


def _batches(keys: Iterator[Any], size: int) -> Iterator[list[Any]]:
    """Group an iterator into lists of at most `size`."""
    batch: list[Any] = []
    for key in keys:
        batch.append(key)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def wait_http(host: str, port: int, path: str, child: Child, timeout: float = 60) -> None:
    """Wait until GET path answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection = http.client.HTTPConnection(host, port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                connection.close()
                return
            connection.close()
        except OSError:
            pass
        if not child.is_running() or time.monotonic() > deadline:
            raise RuntimeError(f"{child.name} did not answer {path}:\n{child.tail()}")
        time.sleep(0.2)


def fetch_form(base_url: str, path: str) -> tuple[str, str]:
    """Open a page with a form as a browser would: its hidden fields (url-encoded) and its cookies.

    The campaign page sets no cookie (it is the same for everyone, shared
    caches keep it); a person's page (a confirm link) sets the session cookie
    its CSRF token goes with.
    """
    host, port = base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    html = response.read().decode()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    fields = {}
    for tag in HIDDEN.findall(html):
        name, value = ATTRIBUTE_NAME.search(tag), ATTRIBUTE_VALUE.search(tag)
        if name and value:
            fields[html_module.unescape(name.group(1))] = html_module.unescape(value.group(1))
    if "csrf_token" not in fields:
        raise RuntimeError(f"no form on {path}")
    cookies = [value.split(";", 1)[0] for key, value in response.getheaders() if key.lower() == "set-cookie"]
    connection.close()
    return urllib.parse.urlencode(fields), "; ".join(cookies)
