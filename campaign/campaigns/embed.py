"""The embeddable widget: a campaign's count and sign form, framed by partner sites.

It is the only page other sites may frame (Content-Security-Policy
frame-ancestors from EMBED_FRAME_ANCESTORS; every other page keeps
frame-ancestors 'none' and X-Frame-Options DENY).

Signing inside a partner's frame cannot lean on a cookie: browsers refuse
the session cookie (SameSite=Lax) to a frame whose top page is another site,
and block third-party cookies outright more and more, so a session-bound
CSRF token would fail there. The widget's form therefore posts to the widget
itself, with no cookie and no session, and is guarded by what the browser
says of the request's origin instead (Fetch Metadata and Origin): a post from
the widget's own document is same-origin, since the frame holds our page,
while a forged post from another site says cross-site and is refused (the
check is campaign.security.is_same_origin_post, the campaign page's sign form
uses the same one). The supporter stays in the frame and reads "check your
inbox" there. The form offers the same boxes as the campaign page for the
campaign's partner organizations (campaign.partners.consents), recorded alike.
"""

from __future__ import annotations

import dataclasses
import re

from flask import Response, current_app, render_template, request, url_for
from markupsafe import escape

from campaign import clock, i18n
from campaign.campaigns.pages import count_html
from campaign.campaigns.service import CampaignView
from campaign.campaigns.translations import localized
from campaign.counts.read import read_count
from campaign.partners import consents
from campaign.partners.public import partners_of
from campaign.security import policy_framed_by, private, public
from campaign.signing import fill_time, proof_of_work, service
from campaign.signing.forms import SignForm

# A partner's name as the widget's address gives it (`?partner=ngo-paris`): stored on the signature.
PARTNER = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
# The public widget is the same bytes for every visitor in a language; its count.js keeps the count fresh.
CACHE_SECONDS = 10


class BadPartner(ValueError):
    """The `partner` parameter is not a short lowercase name."""


def partner_of(value: str | None) -> str | None:
    """The partner the widget's address names, or None; BadPartner if it is not a safe short name."""
    if value is None or value == "":
        return None
    if not PARTNER.match(value):
        raise BadPartner(value)
    return value


def source_for(partner: str | None) -> str:
    """The source recorded on a signature made through the widget: 'embed:<partner>'."""
    return f"embed:{partner}" if partner else "embed"


def frame_policy() -> str:
    """The widget's Content-Security-Policy: ours, with the configured frame-ancestors."""
    return policy_framed_by(current_app.config["EMBED_FRAME_ANCESTORS"])


def sign(view: CampaignView, form: SignForm, partner: str | None) -> None:
    """Take a signature from the widget, its source the partner; raises service.CampaignClosed."""
    submitted = form.to_request(
        client_address=request.remote_addr or "",
        is_letter=view.is_letter,
        is_too_fast=fill_time.is_too_fast(request.form.get(fill_time.FIELD)),
    )
    # SignForm has no field for the partners' boxes: read as the campaign page's sign POST reads them.
    ticked = consents.ticked(request.form.getlist(consents.FIELD))
    signature = dataclasses.replace(submitted, source=source_for(partner), partner_ids=ticked)
    service.sign(view, signature, proof=request.form.get(proof_of_work.PROOF_FIELD, ""))


def is_open(view: CampaignView) -> bool:
    """Tell whether the campaign takes signatures now."""
    return view.is_open_at(clock.now())


def page(
    view: CampaignView, partner: str | None, form: SignForm | None = None, *, is_signed: bool = False
) -> str:
    """The widget: the count and the sign form (or, once signed, where the email went)."""
    count = read_count(view.id)
    return render_template(
        "campaigns/embed.html",
        campaign=localized(view, i18n.current_language()),
        form=form or SignForm(formdata=None, meta={"csrf": False}),
        shown_at=fill_time.stamp(),
        partner=partner,
        # The campaign's partner organizations: a box each on the form, as on the campaign page.
        cohosts=partners_of(view),
        is_open=is_open(view),
        is_signed=is_signed,
        count_html=count_html(count, count.goal or view.goal),
    )


def framed(html: str, status: int = 200, *, is_public: bool) -> Response:
    """The widget's answer: frameable by partners; public, or never stored when it holds what was typed."""
    response = Response(html, status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = frame_policy()
    if is_public:
        public(response, CACHE_SECONDS)
    else:
        private(response)
    return response


def snippet(slug: str, title: str) -> str:
    """The HTML an organizer gives partner sites to paste: an iframe of the widget (as plain text).

    Its address names no language, whatever the organizer's page is read in: the widget then speaks
    each of the partner's visitors' own (their browser's Accept-Language).
    """
    # lang=None: url_for would otherwise carry on the organizer's own ?lang= (campaign.i18n).
    path = url_for("campaigns.embed", slug=slug, partner="your-site", lang=None)
    address = current_app.config["BASE_URL"] + path
    return (
        f'<iframe src="{escape(address)}" title="{escape(title)}" width="100%" height="720"'
        ' style="border:0;max-width:480px" loading="lazy"></iframe>'
    )
