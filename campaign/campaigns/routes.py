"""Public campaign pages: the list, a campaign with its form, the thank-you page."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from campaign import i18n, security
from campaign.campaigns import embed as widget
from campaign.campaigns import feeds, pages, service, sharing, translations
from campaign.counts.read import read_count, read_totals, trending
from campaign.extensions import csrf, db, limiter
from campaign.ledger import receipts
from campaign.links import absolute_url
from campaign.signing.forms import SignForm
from campaign.signing.service import CampaignClosed
from campaign.validation import page_number

bp = Blueprint("campaigns", __name__)
# Public reads under a surge: no rate-limit bookkeeping on them (the proxy
# in front may limit abusive clients; a cached answer costs less than a check).
limiter.skip(bp)
bp.add_app_template_global(sharing.share_links, "share_links")
bp.add_app_template_global(sharing.campaign_url, "campaign_url")
bp.add_app_template_global(sharing.canonical_url, "canonical_url")
bp.add_app_template_global(sharing.language_alternates, "language_alternates")
bp.add_app_template_global(i18n.requested_language, "requested_language")
bp.add_app_template_global(widget.snippet, "embed_snippet")


@bp.get("/")
def index() -> Response:
    """List the open campaigns, the ones signed most in the last hour first (public: a cache may keep it)."""
    campaigns = service.open_campaigns()
    ids = [c.id for c in campaigns]
    recent = trending(ids)
    ordered = sorted(campaigns, key=lambda c: recent.get(c.id, 0), reverse=True)
    # Each title and summary in the reader's language where translated, else the campaign's own.
    shown = translations.all_in_language(ordered, i18n.current_language())
    html = render_template("campaigns/index.html", campaigns=shown, totals=read_totals(ids), recent=recent)
    return security.public(Response(html, mimetype="text/html"))


@bp.get("/ended")
def ended() -> Response:
    """List the campaigns that ended and what came of them, a page at a time (public: a cache may keep it)."""
    page = page_number(request.args)
    campaigns, has_next = service.ended_campaigns(page)
    if page > 1 and not campaigns:
        abort(404)
    shown = translations.all_in_language(campaigns, i18n.current_language())
    totals = read_totals([campaign.id for campaign in campaigns])
    html = render_template(
        "campaigns/ended.html", campaigns=shown, totals=totals, page=page, has_next=has_next
    )
    return security.public(Response(html, mimetype="text/html"))


CRAWLERS_MAX_AGE = 300  # seconds a cache may keep the sitemap and robots.txt


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """The public pages for search engines: the lists and every open or ended campaign, each with its
    address in every language (public: a cache may keep it)."""
    pages: list[tuple[str, dict[str, str], datetime | None]] = [
        ("campaigns.index", {}, None),
        ("campaigns.ended", {}, None),
    ]
    pages += [("campaigns.show", {"slug": slug}, changed) for slug, changed in service.listed_campaigns()]
    xml = render_template(
        "campaigns/sitemap.xml",
        pages=[
            (absolute_url(endpoint, **values), changed, sharing.language_alternates(endpoint, **values))
            for endpoint, values, changed in pages
        ],
    )
    # Crawlers need no copy fresher than a few minutes old; one kept longer is made less often.
    return security.public(Response(xml, mimetype="application/xml"), max_age=CRAWLERS_MAX_AGE)


@bp.get("/feed.atom")
def open_feed() -> Response:
    """The open campaigns as an Atom feed, the newest first (public: a cache may keep it)."""
    return _atom(feeds.opened())


@bp.get("/ended.atom")
def ended_feed() -> Response:
    """The campaigns that ended and what came of them, as an Atom feed (public: a cache may keep it)."""
    return _atom(feeds.ended())


def _atom(feed: feeds.Feed) -> Response:
    """A feed as its readers take it; polled every few minutes, so made at most as often per copy."""
    xml = render_template("campaigns/feed.xml", feed=feed)
    return security.public(Response(xml, mimetype="application/atom+xml"), max_age=CRAWLERS_MAX_AGE)


@bp.get("/robots.txt")
def robots() -> Response:
    """What crawlers may read: the public pages, listed in the sitemap. Pages of one's own say noindex
    themselves (campaign.security): a link to one that was posted somewhere is read, then dropped."""
    text = "\n".join(
        [
            "User-agent: *",
            "Disallow: /organize/",
            "Disallow: /staff/",
            "Disallow: /api/",
            "",
            f"Sitemap: {absolute_url('campaigns.sitemap')}",
            "",
        ]
    )
    return security.public(Response(text, mimetype="text/plain"), max_age=CRAWLERS_MAX_AGE)


@bp.get("/campaigns/<slug>")
def show(slug: str) -> Response:
    """Show a campaign and its sign form: the same bytes for every visitor, so a shared cache may keep it."""
    html = pages.campaign_page(service.public_view_or_404(slug), request.args.get("source"))
    return security.public(Response(html, mimetype="text/html"))


@bp.get("/campaigns/<slug>/thanks")
def thanks(slug: str) -> str:
    """Thank a supporter who confirmed, with the count and ways to share."""
    view = translations.localized(service.public_view_or_404(slug), i18n.current_language())
    count = read_count(view.id)
    # The confirmation's redirect names the signer's receipt; a receipt of another campaign is not shown.
    receipt = request.args.get("receipt")
    return render_template(
        "campaigns/thanks.html",
        campaign=view,
        count_html=pages.count_html(count, count.goal or view.goal),
        receipt=receipt if receipts.is_receipt_of(view.id, receipt) else None,
    )


@bp.get("/campaigns/<slug>/share.png")
def share_image(slug: str) -> Response:
    """The campaign's share image in the reader's language: title and count, redrawn at each count step."""
    view = translations.localized(service.public_view_or_404(slug), i18n.current_language())
    count = read_count(view.id)
    png = sharing.share_image(view, count.total, count.goal or view.goal).read_bytes()
    response = Response(png, mimetype="image/png")
    response.cache_control.public = True
    response.cache_control.max_age = sharing.IMAGE_CACHE_SECONDS
    response.add_etag()
    response.make_conditional(request)
    if i18n.requested_language() is None:
        response.vary.add("Accept-Language")
    return response


def _partner() -> str | None:
    """The partner the widget's address names; 400 with a clear message when it is not a short name."""
    try:
        return widget.partner_of(request.args.get("partner"))
    except widget.BadPartner:
        abort(400, _("The partner name must be 1 to 40 lowercase letters, digits or hyphens (ngo-paris)."))


@bp.get("/campaigns/<slug>/embed")
def embed(slug: str) -> Response:
    """The widget partner sites frame: the count and the sign form."""
    view = translations.localized(service.public_view_or_404(slug), i18n.current_language())
    return widget.framed(widget.page(view, _partner()), is_public=True)


@bp.post("/campaigns/<slug>/embed")
@csrf.exempt  # no cookie reaches a third-party frame: Fetch Metadata and Origin guard it (campaigns/embed.py)
def embed_sign(slug: str) -> BaseResponse:
    """Take a signature through the widget; the partner is its source."""
    view = service.public_view_or_404(slug)
    partner = _partner()
    security.refuse_cross_site_post()
    form = SignForm(meta={"csrf": False})
    if not widget.is_open(view):
        return widget.framed(widget.page(view, partner, form), 409, is_public=False)
    if not form.validate():
        return widget.framed(widget.page(view, partner, form), 400, is_public=False)
    if not form.is_bot:
        try:
            widget.sign(view, form, partner)
        except CampaignClosed:
            db.session.rollback()
            closed = service.public_view_or_404(slug, fresh=True)
            return widget.framed(widget.page(closed, partner, form), 409, is_public=False)
        db.session.commit()
    return redirect(url_for("campaigns.embed_signed", slug=view.slug, partner=partner), code=303)


@bp.get("/campaigns/<slug>/embed/check-your-inbox")
def embed_signed(slug: str) -> Response:
    """The widget after signing: where the confirmation email went."""
    view = translations.localized(service.public_view_or_404(slug), i18n.current_language())
    return widget.framed(widget.page(view, _partner(), is_signed=True), is_public=True)
