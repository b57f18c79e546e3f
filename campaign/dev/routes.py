"""The local mailbox: mail kept on disk when no SMTP server is configured."""

from __future__ import annotations

import email
import email.policy
import ipaddress
from email.message import EmailMessage
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request

from campaign.mail.sending import mail_folder

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.before_request
def only_embedded_and_local() -> None:
    """Serve the mailbox only in the embedded default (mail is on disk) and only to this machine."""
    if not _is_embedded():
        abort(404)
    try:
        is_local = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        is_local = False
    if not is_local:
        abort(404)


@bp.get("/mail")
def mailbox() -> str:
    """List the messages kept on disk, newest first."""
    folder = mail_folder()
    files = sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)
    messages = [(path.stem, _read(path)) for path in files[:200]]
    return render_template("dev/mailbox.html", messages=messages)


@bp.get("/mail/<name>")
def message(name: str) -> str:
    """Show one message, its links clickable."""
    path = mail_folder() / f"{name}.eml"
    if "/" in name or not path.is_file():
        abort(404)
    parsed = _read(path)
    body = parsed.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    return render_template("dev/message.html", message=parsed, text=text)


def _is_embedded() -> bool:
    """Whether this is the embedded default on a laptop rather than a deployment."""
    config = current_app.config
    # TRUSTED_PROXY_HOPS means a reverse proxy is in front; on the same host it
    # makes every peer look like loopback, and the loopback check would pass.
    return (
        not config["SMTP_URL"]
        and not config["BASE_URL"].lower().startswith("https:")
        and config["TRUSTED_PROXY_HOPS"] <= 0
    )


def _read(path: Path) -> EmailMessage:
    """Parse a kept message."""
    with path.open("rb") as handle:
        parsed = email.message_from_binary_file(handle, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed
