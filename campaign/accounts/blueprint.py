"""The accounts blueprint and what its route modules share: a page, a limit read at each request.

Its routes are in campaign.accounts.routes and, imported there,
organization_routes and staff_routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, render_template

bp = Blueprint("accounts", __name__)


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A page about someone's account (campaign.security marks it no-store, like every private page)."""
    return Response(render_template(f"accounts/{template}", **context), status=status)


def config_limit(setting: str) -> Callable[[], Any]:
    """A limit read from the configuration at each request, so it can be tuned without code."""
    return lambda: current_app.config[setting]
