"""Absolute links for email, built without a request (workers have none)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link on the configured BASE_URL, e.g. for the confirmation email."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return str(adapter.build(endpoint, values, force_external=True))
