"""Webhook fixtures: a real HTTP receiver on loopback, an organization and its owner, the signature check."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.conftest import csrf_token, wait_until
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


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A listening receiver, stopped after the test."""
    found = Receiver()
    found.start()
    yield found
    found.stop()


@pytest.fixture
def down_receiver() -> Iterator[Receiver]:
    """A receiver whose port refuses connections until the test starts it."""
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture
def organization(app: Any, db: Any) -> dict[str, Any]:
    """An organization with a signed-in owner (two-factor given) and an open petition of its own."""
    from campaign.accounts.models import Role
    from campaign.accounts.organizations import create_organization
    from tests.support.people import signed_in

    browser, owner = signed_in(app, db, "owner@example.org", Role.ORGANIZER)
    found = create_organization("Artsakh Relief", owner)
    db.session.commit()
    return {
        "organization": found,
        "owner": owner,
        "browser": browser,
        "path": f"/organizations/{found.id}/webhooks",
    }


@pytest.fixture
def register(db: Any) -> Callable[..., tuple[Any, str]]:
    """Register an endpoint directly (as the page would); return it and its secret."""
    from campaign.webhooks import service

    def add(organization: Any, url: str, *events: str) -> tuple[Any, str]:
        endpoint, secret = service.add_endpoint(
            organization, url, list(events or ["signature.confirmed"]), "test"
        )
        db.session.commit()
        return endpoint, secret

    return add


@pytest.fixture
def sign_and_confirm(client: Any, mailbox: Any, sign: Callable[..., Any]) -> Callable[..., None]:
    """Sign a campaign through its form and press the button of the confirmation email (worker needed)."""

    def run(slug: str, email: str = "anahit@example.org", **fields: Any) -> None:
        sign(slug, email=email, **fields)
        [message] = mailbox.wait_for(email)
        link = re.search(r"http://localhost(/confirm/\S+)", message.get_content()).group(1)
        page = client.get(link)
        client.post(link, data={"csrf_token": csrf_token(page.get_data(as_text=True))})

    return run


def deliveries(db: Any) -> list[Any]:
    """Every delivery row, oldest first, read afresh."""
    from campaign.webhooks.models import WebhookDelivery

    db.session.expire_all()
    return list(db.session.execute(db.select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars())
