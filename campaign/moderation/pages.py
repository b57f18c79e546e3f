"""How the staff pages of moderation are answered."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template


def staff_page(template: str, status: int = 200, **context: Any) -> Response:
    """A staff page of moderation (campaign.security keeps it from caches, as every page of a session)."""
    return Response(render_template(f"moderation/{template}", **context), status=status)
