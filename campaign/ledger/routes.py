"""The public ledger: signed heads, entries, receipts and consistency proofs (docs/LEDGER.md).

Every answer is the same for every visitor: shared caches may keep it, and none sets a cookie.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from campaign import i18n, security
from campaign.campaigns import translations
from campaign.campaigns.service import CampaignView, public_view_or_404
from campaign.extensions import db, limiter
from campaign.ledger import heads, keys, proofs, tally
from campaign.ledger.models import LedgerHead
from campaign.validation import whole_number

bp = Blueprint("ledger", __name__)
# Public reads, as count.json: no rate-limit bookkeeping (a proxy may limit abusive clients).
limiter.skip(bp)
# The campaign page's "N counted, M removed (why: ...)" (templates/ledger/_tally.html).
bp.add_app_template_global(tally.tally, "ledger_tally")


@bp.before_request
def _reads_outside_a_transaction() -> None:
    """Read without BEGIN and ROLLBACK: two of a receipt's four round trips to the database.

    Everything read here is consistent at any moment without one: entries and
    nodes are only ever appended, a head is published after its nodes, and a
    campaign's public view is what it is when read.
    """
    db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


# Published entries and proofs between published sizes never change; a head changes every LEDGER_SECONDS.
FIXED_MAX_AGE = 3600
KEY_MAX_AGE = 300
# The public verifier, served as it is in this release (campaign/ledger/verify.py).
VERIFIER = Path(__file__).with_name("verify.py")


def _json(value: Any, status: int = 200, max_age: int | None = None) -> Response:
    """A public JSON answer."""
    response = jsonify(value)
    response.status_code = status
    return security.public(response, max_age)


def _head_or_404(campaign_id: int) -> LedgerHead:
    """The campaign's latest published head; 404 before the first one."""
    found = heads.latest_head(campaign_id)
    if found is None:
        abort(404, _("This campaign's ledger has no published head yet: try again in a few minutes."))
    return found[0]


def _whole_number(name: str) -> int:
    """A query parameter that must be a whole number of 0 or more; 400 with a clear message otherwise."""
    number = whole_number(request.args.get(name, ""), digits=18)
    if number is None:
        abort(400, _("%(name)s must be a whole number, 0 or more.", name=name))
    return number


@bp.get("/campaigns/<slug>/ledger.json")
def head(slug: str) -> Response:
    """The campaign's latest signed tree head."""
    view = public_view_or_404(slug)
    found = heads.latest_head(view.id)
    if found is None:
        abort(404, _("This campaign's ledger has no published head yet: try again in a few minutes."))
    return _json(heads.head_json(*found), max_age=min(60, current_app.config["LEDGER_SECONDS"]))


@bp.get("/campaigns/<slug>/ledger")
def page(slug: str) -> Response:
    """The ledger in plain words: the signed head, what was removed and why, and how to check it all."""
    view = public_view_or_404(slug)
    found = heads.latest_head(view.id)
    html = render_template(
        "ledger/ledger.html",
        campaign=_in_reader_language(view),
        head=None if found is None else found[0],
        public_key=None if found is None else found[1].hex(),
        tally=tally.tally(view.id),
        verify_command=_verify_command(view.slug),
        watch_command=f"{_verify_command(view.slug)} --state heads.json",
        ledger_seconds=current_app.config["LEDGER_SECONDS"],
    )
    response = Response(html, mimetype="text/html")
    return security.public(response, max_age=min(60, current_app.config["LEDGER_SECONDS"]))


def _in_reader_language(view: CampaignView) -> translations.CampaignInLanguage:
    """The campaign's title in the page's language where translated, else its own.

    The same words for every reader of a language, so the page stays the same bytes for each:
    the translations are read by the campaign's version, as its own page reads them.
    """
    return translations.in_language(view, i18n.current_language())


def _verify_command(slug: str) -> str:
    """The verifier's command line for this campaign: the same in every language."""
    return f"python verify.py {url_for('campaigns.show', slug=slug, _external=True)}"


@bp.get("/ledger/verify.py")
def verifier() -> Response:
    """The verifier itself (one file: Python and `cryptography`), to read, then run, on one's own machine."""
    source = VERIFIER.read_bytes()
    response = Response(source, mimetype="text/x-python")
    response.headers["Content-Disposition"] = "attachment; filename=verify.py"
    return security.public(response, FIXED_MAX_AGE)


@bp.get("/campaigns/<slug>/ledger/entries")
def entries(slug: str) -> Response:
    """Entries start..end (inclusive) of the published tree, at most MAX_ENTRIES of them."""
    view = public_view_or_404(slug)
    start, end = _whole_number("start"), _whole_number("end")
    size = _head_or_404(view.id).tree_size
    if start > end:
        abort(400, _("start must not be after end."))
    if start >= size:
        abort(400, _("The published ledger has %(size)s entries (0 to %(last)s).", size=size, last=size - 1))
    last = min(end, size - 1, start + proofs.MAX_ENTRIES - 1)
    # A page cut short by the tree's end grows with the next head; a full one never changes.
    max_age = FIXED_MAX_AGE if last == end else None
    return _json({"entries": proofs.entries(view.id, start, last)}, max_age=max_age)


@bp.get("/campaigns/<slug>/ledger/consistency")
def consistency(slug: str) -> Response:
    """The proof that the published tree of `second` leaves extends the one of `first`."""
    view = public_view_or_404(slug)
    first, second = _whole_number("first"), _whole_number("second")
    size = _head_or_404(view.id).tree_size
    if not first <= second <= size:
        abort(400, _("Ask for 0 <= first <= second <= %(size)s (the latest published size).", size=size))
    proof = proofs.consistency_proof(view.id, first, second)
    return _json({"first": first, "second": second, "proof": proof}, max_age=FIXED_MAX_AGE)


@bp.get("/campaigns/<slug>/receipts/<receipt>")
def receipt(slug: str, receipt: str) -> Response:
    """A signer's receipt: JSON proof of inclusion in the latest head, or a page that explains it."""
    view = public_view_or_404(slug)
    state = proofs.receipt_state(view.id, receipt) if len(receipt) <= 64 else None
    if state is None:
        abort(404, _("There is no such receipt for this campaign."))
    status = 202 if state.is_pending else 200
    if _wants_json():
        body = {"pending": True} if state.is_pending else state.as_json(view.slug)
        response = _json(body, status)
    else:
        html = render_template(
            "ledger/receipt.html",
            campaign=_in_reader_language(view),
            state=state,
            # The command line is the same in every language.
            verify_command=f"{_verify_command(view.slug)} --receipt {request.base_url}",
            ledger_seconds=current_app.config["LEDGER_SECONDS"],
        )
        response = security.public(Response(html, status=status, mimetype="text/html"))
    response.vary.add("Accept")
    return response


def _wants_json() -> bool:
    """Tell whether the client asked for JSON rather than a page."""
    accepted = request.accept_mimetypes
    return accepted.best_match(["text/html", "application/json"]) == "application/json" or (
        "application/json" in accepted and "text/html" not in accepted
    )


@bp.get("/.well-known/ledger-key")
def public_key() -> Response:
    """The public key heads are signed with now, as hex."""
    row = keys.current_key_row()
    if row is None:
        abort(404, _("No ledger key has been made yet."))
    return security.public(Response(row.public_key.hex() + "\n", mimetype="text/plain"), KEY_MAX_AGE)


@bp.get("/.well-known/ledger-keys")
def public_keys() -> Response:
    """Every public key heads were signed with, so that heads signed before a rotation stay verifiable."""
    listed = [
        {
            "public_key": row.public_key.hex(),
            "created_at": heads.published_at_text(row.created_at),
            "retired_at": heads.published_at_text(row.retired_at) if row.retired_at else None,
        }
        for row in keys.all_keys()
    ]
    return _json({"keys": listed}, max_age=KEY_MAX_AGE)
