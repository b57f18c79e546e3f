"""The site as real processes, and a browser-like HTTP client for the fault tests."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.workers import ROOT

BIN = Path(sys.executable).parent
CAMPAIGN = str(BIN / "campaign")
# What the embedded default must not see: the test run's PostgreSQL, Redis and SMTP.
SERVER_VARIABLES = {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "REDIS_KEY_PREFIX", "CELERY_KEY_PREFIX"}


def embedded_environment(instance: Path, **extra: str) -> dict[str, str]:
    """The environment of `make run` on a fresh machine, with its own instance folder."""
    env = {key: value for key, value in os.environ.items() if key not in SERVER_VARIABLES}
    env.update(INSTANCE_PATH=str(instance), **extra)
    return env


def prepare(env: dict[str, str]) -> None:
    """What `make run` does before it serves: migrate, make the keys, seed the demo."""
    for command in (["db", "upgrade"], ["keys", "init"], ["seed-demo"]):
        subprocess.run([CAMPAIGN, *command], env=env, check=True, capture_output=True, timeout=120)


@dataclass
class Answer:
    """What the server answered."""

    status: int
    headers: dict[str, str]
    body: str


class Browser:
    """One visitor: a keep-alive connection, the session cookie, redirects not followed."""

    def __init__(self, port: int, timeout: float = 30.0, host: str = "127.0.0.1") -> None:
        self.port = port
        self.host = host
        self.timeout = timeout
        self.cookie = ""
        self._connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None):
        """Send one request; reconnect once if the kept-alive connection was closed by the server."""
        sent = dict(headers or {})
        if self.cookie:
            sent["Cookie"] = self.cookie
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            connection = self._connection or http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout
            )
            self._connection = connection
            try:
                connection.request(method, path, body=body, headers=sent)
                response = connection.getresponse()
                text = response.read().decode("utf-8", "replace")
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed between requests: the request never arrived.
                self.close()
                if attempt:
                    raise
                continue
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            cookie = response.getheader("Set-Cookie")
            if cookie:
                self.cookie = cookie.split(";", 1)[0]
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
        raise AssertionError("unreachable")

    def get(self, path: str) -> Answer:
        """GET a page."""
        return self.request("GET", path)

    def post(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Answer:
        """POST a form."""
        return self.request("POST", path, urllib.parse.urlencode(fields), headers)

    def close(self) -> None:
        """Drop the connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def csrf_of(html: str) -> str:
    """The CSRF token of the page's form."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def signature_fields(number: int, csrf: str) -> dict[str, str]:
    """A distinct signer's form: each its own address and email domain, so no flood rule is met."""
    return {
        "csrf_token": csrf,
        "given_name": "Anahit",
        "family_name": f"Petrosyan{number}",
        "email": f"signer{number}@s{number}.example.org",
        "country": "AM",
    }


def client_address(number: int) -> str:
    """A distinct client address in a /24 of its own, for X-Forwarded-For."""
    return f"{11 + number // 65536}.{number // 256 % 256}.{number % 256}.7"


def wait_for_answer(port: int, path: str, status: int, timeout: float) -> Answer:
    """Ask until the path answers with this status; fail after the timeout."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        browser = Browser(port, timeout=5)
        try:
            last = answer = browser.get(path)
            if answer.status == status:
                return answer
        except OSError as error:
            last = error
        finally:
            browser.close()
        time.sleep(0.2)
    raise AssertionError(f"{path} did not answer {status} within {timeout} s (last: {last})")


@contextmanager
def supervised_site(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`make run`'s processes (campaign/supervise.py) for the block: the site ready, the worker up."""
    args = [str(BIN / "python"), "-m", "campaign.supervise", "--port", str(port)]
    with log.open("ab") as output:
        child = subprocess.Popen(args, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            wait_for_answer(port, "/readyz", 200, timeout=60)
            deadline = time.monotonic() + 60
            while " ready." not in log.read_text(errors="replace"):
                assert child.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.2)
            yield child
        finally:
            stop(child, timeout=15)


def stop(child: subprocess.Popen[bytes], timeout: float) -> float:
    """SIGTERM a process and wait for it; return how long it took (killed at the timeout)."""
    started = time.monotonic()
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return time.monotonic() - started
