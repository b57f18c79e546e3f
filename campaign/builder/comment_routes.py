"""Reasons for signing, as a campaign's organizers moderate them: the list, and Hide / Show.

The routes of campaign.builder's blueprint that go through
campaign.campaigns.comments. Members of the campaign's organization and
staff may hide a comment from the public page and show it again; each
change is recorded in the audit log.
"""

from __future__ import annotations

from flask import Response, abort, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from campaign.accounts.access import current_user_or_401, login_required, managed_campaign_or_404
from campaign.builder import service
from campaign.builder.blueprint import bp, page
from campaign.builder.forms import ButtonForm
from campaign.campaigns import comments
from campaign.extensions import db
from campaign.validation import page_number


@bp.get("/organize/campaigns/<int:campaign_id>/comments")
@login_required
def comments_page(campaign_id: int) -> Response:
    """The campaign's public comments, newest first, each with a Hide or Show button."""
    campaign = managed_campaign_or_404(campaign_id)
    number = page_number(request.args)
    listed, has_next = comments.for_organizers(campaign.id, number)
    return page(
        "comments.html",
        campaign=campaign,
        comments=listed,
        page=number,
        has_next=has_next,
        button=ButtonForm(),
    )


@bp.post("/organize/campaigns/<int:campaign_id>/comments/<int:signature_id>/hide")
@login_required
def hide_comment(campaign_id: int, signature_id: int) -> BaseResponse:
    """Keep a comment off the campaign page."""
    return _set_hidden(campaign_id, signature_id, True)


@bp.post("/organize/campaigns/<int:campaign_id>/comments/<int:signature_id>/show")
@login_required
def show_comment(campaign_id: int, signature_id: int) -> BaseResponse:
    """Show a hidden comment on the campaign page again."""
    return _set_hidden(campaign_id, signature_id, False)


def _set_hidden(campaign_id: int, signature_id: int, is_hidden: bool) -> BaseResponse:
    """Hide or show one comment of the campaign, record who did, and go back to the list."""
    campaign = managed_campaign_or_404(campaign_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not comments.set_hidden(campaign.id, signature_id, is_hidden, service.actor(current_user_or_401())):
        abort(404)
    db.session.commit()
    # This process shows the change at once; the others within PUBLIC_COMMENTS_SECONDS.
    comments.forget_blocks()
    return redirect(
        url_for("builder.comments_page", campaign_id=campaign.id, page=page_number(request.args)), code=303
    )
