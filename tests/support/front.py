"""The production front in tests: Debian's nginx with deploy/nginx.conf, before the app served over HTTP.

deploy/nginx.conf is used as it is shipped, its placeholders filled in (where to listen, the app's
address, the static folder, the cache folder, the log), inside a minimal main configuration, as the
official image wraps it in its own (bench/front.py's, which `make bench` uses too).
"""

from __future__ import annotations

import http.client
import shutil
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from bench.front import nginx_configuration
from tests.support.waiting import wait_until
from tests.support.workers import free_port

NGINX = "/usr/sbin/nginx"


@dataclass
class Answer:
    """What nginx answered."""

    status: int
    headers: dict[str, str]
    body: bytes


def request(
    port: int, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> Answer:
    """One request to nginx on a fresh connection, no cookie kept, redirects not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


@dataclass
class Arrival:
    """A request as it reached the app: its path and the headers the front set."""

    path: str
    headers: dict[str, str]


@dataclass
class LiveApp:
    """The app served over HTTP on a port of its own, which the test can stop and start again; it
    notes each request that reaches it."""

    app: Any
    port: int
    arrivals: list[Arrival] = field(default_factory=list)
    server: BaseWSGIServer | None = None
    thread: threading.Thread | None = None

    def _noting(self, environ: dict[str, Any], start_response: Any) -> Any:
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        self.arrivals.append(Arrival(environ.get("PATH_INFO", ""), headers))
        return self.app(environ, start_response)

    def start(self) -> None:
        """Serve (again) on the same port."""
        self.server = make_server("127.0.0.1", self.port, self._noting, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop answering: connections to the port are refused."""
        assert self.server is not None and self.thread is not None
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        self.server = None


@dataclass
class Front:
    """nginx before the live app."""

    port: int
    app: LiveApp
    base_url: str
    access_log: Path

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return request(self.port, "GET", path, headers=headers)

    def post(self, path: str, fields: dict[str, str], headers: dict[str, str] | None = None) -> Answer:
        body = urllib.parse.urlencode(fields).encode()
        sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return request(self.port, "POST", path, body=body, headers=sent)


@contextmanager
def serving_front(folder: Path, *, trusted_client_header: bool = False) -> Iterator[Front]:
    """nginx (Debian's) before the app, the app trusting one proxy hop and addressed through nginx.

    `trusted_client_header`: nginx takes the client's address from the X-Forwarded-For the test
    sends, as it would from a CDN it trusts, so that a test can be many clients.
    """
    from campaign import create_app

    assert Path(NGINX).exists(), "the front's tests need Debian's nginx: make nginx"
    nginx_port, app_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{nginx_port}"
    live = LiveApp(create_app({"TESTING": True, "BASE_URL": base_url, "TRUSTED_PROXY_HOPS": 1}), app_port)
    live.start()
    configuration = nginx_configuration(
        folder, nginx_port, app_port, error_level="info", trusted_client_header=trusted_client_header
    )
    errors = ["-e", str(folder / "error.log")]
    check = subprocess.run([NGINX, "-t", "-c", str(configuration), *errors], capture_output=True)
    assert check.returncode == 0, check.stderr.decode()
    nginx = subprocess.Popen(
        [NGINX, "-c", str(configuration), *errors, "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _answers(nginx_port), timeout=10)
        yield Front(nginx_port, live, base_url, folder / "access.log")
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        if live.server is not None:
            live.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _answers(port: int) -> bool:
    """Whether nginx accepts connections yet."""
    try:
        request(port, "GET", "/static/favicon.svg")
    except OSError:
        return False
    return True
