"""The local mailbox (/dev/mail) exists only in the embedded default, and only for this machine."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}


def _app(tmp_path: Path, **overrides: Any) -> Any:
    """An app like `make run` on a laptop (no SMTP, plain http, no proxy), with a message on disk."""
    from campaign import create_app

    settings = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SMTP_URL": None,
        "BASE_URL": "http://localhost:5000",
        "TRUSTED_PROXY_HOPS": 0,
        **overrides,
    }
    app = create_app(settings)
    message = EmailMessage()
    message["To"] = "anahit@example.org"
    message["Subject"] = "Please confirm your signature"
    message.set_content("https://example.org/confirm/secret-token")
    folder = Path(app.instance_path) / "mail"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kept.eml").write_bytes(bytes(message))
    return app


def test_the_embedded_default_shows_this_machine_its_mail(tmp_path):
    browser = _app(tmp_path).test_client()

    mailbox = browser.get("/dev/mail", environ_base=LOOPBACK)
    message = browser.get("/dev/mail/kept", environ_base=LOOPBACK)

    assert mailbox.status_code == 200
    assert "Please confirm your signature" in mailbox.get_data(as_text=True)
    assert message.status_code == 200
    assert "secret-token" in message.get_data(as_text=True)


def test_another_machine_gets_nothing(tmp_path):
    browser = _app(tmp_path).test_client()

    assert browser.get("/dev/mail", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404


@pytest.mark.parametrize(
    "deployment",
    [
        pytest.param({"SMTP_URL": "smtp://127.0.0.1:25"}, id="smtp-configured"),
        pytest.param({"BASE_URL": "https://x.example"}, id="served-over-https"),
        pytest.param({"TRUSTED_PROXY_HOPS": 1}, id="behind-a-proxy"),
    ],
)
def test_a_deployment_has_no_mailbox_even_for_loopback(tmp_path, deployment):
    browser = _app(tmp_path, **deployment).test_client()

    assert browser.get("/dev/mail", environ_base=LOOPBACK).status_code == 404
    assert browser.get("/dev/mail/kept", environ_base=LOOPBACK).status_code == 404
