"""How the staff pages of moderation are answered."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template


def staff_page(template: str, status: int = 200, **context: Any) -> Response:
    """A staff page of moderation: private, never stored by a cache."""
    response = Response(render_template(f"moderation/{template}", **context), status=status)
    response.headers["Cache-Control"] = "no-store"
    return response
