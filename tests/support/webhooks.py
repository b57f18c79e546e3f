"""The other end of a webhook: a real HTTP receiver on loopback, the signature check, the delivery rows."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.waiting import wait_until
from tests.support.workers import free_port


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check of X-Campaign-Signature, as docs/API.md gives it."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


class Received:
    """One POST the receiver got."""

    def __init__(self, path: str, headers: dict[str, str], body: bytes) -> None:
        self.path = path
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        """The body, read as JSON."""
        import json

        return json.loads(self.body)


class Receiver:
    """An HTTP server on 127.0.0.1 in a thread, keeping what is posted to it; it can go down and come back."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.status = 200
        self.received: list[Received] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The endpoint's URL."""
        return f"http://127.0.0.1:{self.port}/hooks/campaigns"

    def start(self) -> None:
        """Listen (again)."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening: connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, count: int = 1, timeout: float = 15.0) -> list[Received]:
        """Wait until at least `count` posts arrived; return them all."""
        wait_until(lambda: len(self.received) >= count, timeout=timeout)
        return list(self.received)


def deliveries(db: Any) -> list[Any]:
    """Every delivery row, oldest first, read afresh."""
    from campaign.webhooks.models import WebhookDelivery

    db.session.expire_all()
    return list(db.session.execute(db.select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars())


class HeldReceiver(Receiver):
    """A receiver that holds its first post's answer until released, then answers it `first_answer`;
    the others get 200 at once."""

    def __init__(self, first_answer: int) -> None:
        self.first_answer = first_answer
        self.holding = threading.Event()
        self.release = threading.Event()
        self._posts = 0
        self._lock = threading.Lock()
        super().__init__()

    @property
    def status(self) -> int:
        """The status of the post being answered (read once per post, after it was kept)."""
        with self._lock:
            self._posts += 1
            first = self._posts == 1
        if not first:
            return 200
        self.holding.set()
        self.release.wait(10)
        return self.first_answer

    @status.setter
    def status(self, value: int) -> None:
        """The base class sets a default status; this one answers as above."""
