"""The one-click link that stops all email to an address (List-Unsubscribe, RFC 8058), carried by
the mail someone else can make us send to it: confirmations, notes to repeat signers, invitations.

A GET only offers the button, since mail scanners follow links; the POST,
which a mail client sends by itself, stops at once, and the page then offers
to undo it. The link's signed token, naming the address by its keyed hash,
is the only credential: no cookie.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from campaign.extensions import csrf, db
from campaign.mail import suppressions
from campaign.security import private
from campaign.signing import supporters

bp = Blueprint("stop_email", __name__)


def _page(token: str, *, is_done: bool, is_resumed: bool = False) -> Response:
    """The page of a stop link: its button, or what stopping did and the button that undoes it."""
    html = render_template("signing/stop_email.html", token=token, is_done=is_done, is_resumed=is_resumed)
    return private(Response(html))


def _bad_link() -> Response:
    """A link we did not write, or one cut short."""
    return private(Response(render_template("updates/bad_link.html"), status=400))


@bp.get("/stop-email/<token>")
def offer(token: str) -> Response:
    """Offer to stop all email to the address; a GET changes nothing."""
    index = suppressions.index_of_stop_token(token)
    if index is None:
        return _bad_link()
    return _page(token, is_done=suppressions.is_stopped(index))


@bp.post("/stop-email/<token>")
@csrf.exempt
def stop(token: str) -> Response:
    """Stop all email to the address at once."""
    index = suppressions.index_of_stop_token(token)
    if index is None:
        return _bad_link()
    supporters.stop_all_email(index)
    db.session.commit()
    return _page(token, is_done=True)


@bp.post("/stop-email/<token>/resume")
@csrf.exempt
def resume(token: str) -> Response:
    """Let email go to the address again: the way back for whoever has no page of their own (an
    invitee who never signed). The token reached only the address's mailbox."""
    index = suppressions.index_of_stop_token(token)
    if index is None:
        return _bad_link()
    supporters.resume_email(index)
    db.session.commit()
    return _page(token, is_done=False, is_resumed=True)
