"""The production-like stack of the fault tests: PostgreSQL, a broker (Redis or RabbitMQ), real
Celery processes started and killed by the test, and an SMTP server the test can slow or break."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from aiosmtpd.controller import Controller

from tests.faults.live import client_address, signature_fields
from tests.support.forms import csrf_token
from tests.support.smtp import SmtpCapture, _Handler
from tests.support.workers import ROOT, free_port

CELERY = str(Path(sys.executable).parent / "celery")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672")


class FaultyHandler(_Handler):
    """Takes a moment over each message, as a distant server does, and answers RCPT as the test says."""

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        """Count the attempt; refuse it while the server is told to."""
        smtp: FaultySmtp = self.capture  # type: ignore[assignment]
        smtp.attempts[address.lower()] = smtp.attempts.get(address.lower(), 0) + 1
        if smtp.answer:
            return smtp.answer
        return await super().handle_RCPT(server, session, envelope, address, options)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Accept the message after the server's delay."""
        await asyncio.sleep(self.capture.delay)  # type: ignore[attr-defined]
        return await super().handle_DATA(server, session, envelope)


class FaultySmtp(SmtpCapture):
    """The tests' SMTP server: a delay per message and, while `answer` is set, that answer to every RCPT."""

    def __init__(self, port: int, delay: float = 0.0) -> None:
        super().__init__(port)
        self.delay = delay
        self.answer: str | None = None
        self.attempts: dict[str, int] = {}
        self._controller = Controller(FaultyHandler(self), hostname="127.0.0.1", port=port)

    def message_ids(self, address: str) -> list[str]:
        """The Message-IDs of what reached one address, in order."""
        return [str(message["Message-ID"]) for message in self.to(address)]


@dataclass
class Broker:
    """A broker of this test's own: the environment that points processes at it, and its name."""

    name: str
    env: dict[str, str]


def rabbitmqctl(*args: str) -> None:
    """Run rabbitmqctl (the local node's administration tool)."""
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


@contextmanager
def broker_of_its_own(name: str, run: str) -> Iterator[Broker]:
    """Redis under a key prefix of this test's own, or RabbitMQ in a vhost of this test's own; removed after.

    Redis stays the cache and the limiter's store with either broker; its keys carry the same prefix.
    """
    prefix = f"faults-{run}:"
    vhost = f"campaign-faults-{run}"
    try:
        if name == "redis":
            yield Broker(name, {"REDIS_KEY_PREFIX": prefix, "BROKER_URL": ""})
        else:
            rabbitmqctl("add_vhost", vhost)
            rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
            yield Broker(name, {"BROKER_URL": f"{RABBITMQ_URL}/{vhost}", "REDIS_KEY_PREFIX": prefix})
    finally:
        if name == "rabbitmq":
            rabbitmqctl("delete_vhost", vhost)
        client = redis.Redis.from_url(os.environ["REDIS_URL"])
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()


def celery_args(kind: str, concurrency: int, schedule: Path) -> list[str]:
    """`celery -A worker worker` with a prefork pool (as in production), or `celery -A worker beat`."""
    if kind == "worker":
        return [
            CELERY, "-A", "worker", "worker", "--pool=prefork", f"--concurrency={concurrency}",
            "--loglevel=info", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
    return [CELERY, "-A", "worker", "beat", "--loglevel=info", "--schedule", str(schedule)]


class Processes:
    """Celery processes started by a test, each in a process group of its own so it can be killed whole."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.started: list[subprocess.Popen[bytes]] = []

    def start(
        self, kind: str, log_name: str, concurrency: int = 2, **extra: str
    ) -> tuple[subprocess.Popen[bytes], Path]:
        """Start a worker or a beat (with these settings besides the stack's) and wait until it is ready."""
        log = self.folder / f"{log_name}.log"
        with log.open("ab") as output:
            child = subprocess.Popen(
                celery_args(kind, concurrency, self.folder / f"{log_name}.schedule"),
                env={**self.env, **extra}, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT,
                start_new_session=True,
            )  # fmt: skip
        self.started.append(child)
        ready = " ready." if kind == "worker" else "beat: Starting"
        deadline = time.monotonic() + 60
        while ready not in log.read_text(errors="replace"):
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery {kind} did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        return child, log

    def kill(self, child: subprocess.Popen[bytes]) -> None:
        """SIGKILL a process and its pool (the whole group), as the OOM killer or `docker kill` would."""
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()

    def stop_all(self) -> None:
        """Stop whatever is still running (SIGTERM, then SIGKILL after 15 s)."""
        for child in self.started:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait()


@contextmanager
def faulty_smtp(delay: float = 0.0) -> Iterator[FaultySmtp]:
    """A FaultySmtp listening for the block."""
    server = FaultySmtp(free_port(), delay=delay)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Stack:
    """A fault test's world: a site to sign on, Celery processes to start and kill, the SMTP server."""

    broker: str
    site: Any
    processes: Processes
    smtp: FaultySmtp
    folder: Path

    def sign(self, slug: str, numbers: range) -> list[str]:
        """Sign the campaign once per number, each a distinct signer; return their addresses."""
        page = self.site.get(f"/campaigns/{slug}")
        assert page.status_code == 200, page.status_code
        csrf = csrf_token(page.get_data(as_text=True))
        addresses = []
        for number in numbers:
            fields = signature_fields(number, csrf)
            answer = self.site.post(
                f"/campaigns/{slug}/sign", data=fields, environ_base={"REMOTE_ADDR": client_address(number)}
            )
            assert answer.status_code == 303, answer.status_code
            addresses.append(fields["email"])
        return addresses
