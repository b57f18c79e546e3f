"""The public count of a campaign, as JSON."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from campaign import security
from campaign.campaigns.service import public_view_or_404
from campaign.counts.read import read_count
from campaign.extensions import limiter

bp = Blueprint("counts", __name__)
# Public reads under a surge: no rate-limit bookkeeping on them (the proxy
# in front may limit abusive clients; a cached answer costs less than a check).
limiter.skip(bp)


@bp.get("/campaigns/<slug>/count.json")
def count_json(slug: str) -> Response:
    """The campaign's validated signatures, in all and per country."""
    view = public_view_or_404(slug)
    count = read_count(view.id)
    response = jsonify(
        slug=view.slug,
        count=count.total,
        goal=count.goal or view.goal,
        by_country=count.by_country,
        updated_at=count.updated_at.isoformat() + "Z" if count.updated_at else None,
    )
    # Counts move every few seconds: shared caches may keep one briefly and
    # serve it stale while they fetch the next; pollers revalidate by ETag.
    response.set_etag(f"{view.id}-{count.version}")
    # One second: a shared cache then adds at most a second to the fold's own delay (COUNTS_FOLD_SECONDS),
    # and at 10,000 pollers a second still asks the app once a second (nginx's proxy_cache_lock); served
    # stale for 10 s while it fetches the next, and (as every public answer) for a day while the app
    # cannot answer (a restart, an outage).
    response.headers["Cache-Control"] = security.public_cache_control(1, stale_while_revalidate=10)
    response.make_conditional(request)
    return response
