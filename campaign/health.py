"""A health check for load balancers and docker-compose: the app answers and reaches its database."""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy import text

from campaign.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """Answer 200 when the database answers; 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database means unhealthy
        return Response("database unavailable\n", status=503, mimetype="text/plain")
    return Response("ok\n", mimetype="text/plain")
