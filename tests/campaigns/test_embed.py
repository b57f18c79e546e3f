"""The embeddable widget: framed by partner sites, signing without a cookie, the partner as the source."""

import re
import threading
from collections.abc import Iterator
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from campaign.accounts.models import Role
from campaign.signing.models import Signature, SignatureStatus
from tests.support.browser import open_page
from tests.support.organizations import make_organization, signed_in
from tests.support.workers import free_port
from tests.updates.test_dashboard import table_rows

FORM = {
    "given_name": "Anahit",
    "family_name": "Petrosyan",
    "email": "anahit.embed@example.org",
    "country": "AM",
    "postal_code": "0010",
}
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}


def signatures(db, campaign_id):
    """The campaign's signatures as stored."""
    db.session.expire_all()
    query = db.select(Signature).where(Signature.campaign_id == campaign_id)
    return db.session.execute(query).scalars().all()


def test_only_the_widget_may_be_framed_by_other_sites(client, make_campaign):
    make_campaign(slug="framed", title="Recognize Artsakh")
    widget = client.get("/campaigns/framed/embed?partner=ngo-paris")
    assert widget.status_code == 200
    csp = widget.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "frame-ancestors 'none'" not in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "X-Frame-Options" not in widget.headers
    assert "public" in widget.headers["Cache-Control"] and "Set-Cookie" not in widget.headers
    html = widget.get_data(as_text=True)
    assert "Recognize Artsakh" in html and "count-value" in html
    assert 'action="/campaigns/framed/embed?partner=ngo-paris"' in html
    assert 'name="csrf_token"' not in html  # no cookie in a third-party frame, so no session token

    for path in ("/campaigns/framed", "/campaigns/framed/thanks", "/"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert headers["X-Frame-Options"] == "DENY", path


def test_the_frame_ancestors_can_be_a_configured_list(app, make_campaign, db):
    make_campaign(slug="listed")
    app.config["EMBED_FRAME_ANCESTORS"] = "https://partner.example https://*.ngo.example"
    try:
        csp = app.test_client().get("/campaigns/listed/embed").headers["Content-Security-Policy"]
    finally:
        app.config["EMBED_FRAME_ANCESTORS"] = "*"
    assert "frame-ancestors https://partner.example https://*.ngo.example" in csp


def test_a_bad_partner_name_is_refused_with_a_clear_message(client, make_campaign):
    make_campaign(slug="partnered")
    for bad in ("Bad Name", "x" * 41, "-dash", "a:b", "<script>"):
        response = client.get("/campaigns/partnered/embed", query_string={"partner": bad})
        assert response.status_code == 400, bad
        assert "lowercase letters, digits or hyphens" in response.get_data(as_text=True)


def test_signing_through_the_widget_records_the_partner_without_a_cookie(client, db, make_campaign):
    campaign = make_campaign(slug="widget-sign")
    response = client.post("/campaigns/widget-sign/embed?partner=ngo-paris", data=FORM, headers=SAME_ORIGIN)
    assert response.status_code == 303
    assert response.headers["Location"] == "/campaigns/widget-sign/embed/check-your-inbox?partner=ngo-paris"
    assert "Set-Cookie" not in response.headers
    [signature] = signatures(db, campaign.id)
    assert signature.source == "embed:ngo-paris" and signature.status == SignatureStatus.PENDING

    done = client.get(response.headers["Location"])
    assert "Check your inbox" in done.get_data(as_text=True)
    assert "frame-ancestors *" in done.headers["Content-Security-Policy"]


def test_a_widget_without_a_partner_records_embed(client, db, make_campaign):
    campaign = make_campaign(slug="no-partner")
    assert client.post("/campaigns/no-partner/embed", data=FORM, headers=SAME_ORIGIN).status_code == 303
    assert [s.source for s in signatures(db, campaign.id)] == ["embed"]


def test_a_post_from_another_site_is_refused(client, db, make_campaign):
    campaign = make_campaign(slug="forged")
    for headers in (
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Origin": "https://evil.example"},  # an older browser without Fetch Metadata
        {"Origin": "null"},  # a page that hides where it is
        {"Referer": "https://evil.example/"},  # neither header: the Referer's origin decides
    ):
        response = client.post("/campaigns/forged/embed", data=FORM, headers=headers)
        assert response.status_code == 403, headers
    assert signatures(db, campaign.id) == []


def test_widget_errors_are_shown_in_the_widget_and_never_stored(client, db, make_campaign):
    campaign = make_campaign(slug="widget-errors")
    response = client.post(
        "/campaigns/widget-errors/embed?partner=ngo", data={**FORM, "family_name": ""}, headers=SAME_ORIGIN
    )
    assert response.status_code == 400
    assert "Please enter your last name." in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert signatures(db, campaign.id) == []


def test_the_organizers_page_offers_the_snippet_and_the_dashboard_counts_the_partner(
    app, client, db, make_campaign
):
    relief = make_organization(db, "Relief")
    campaign = make_campaign(slug="snippet", title='Recognize "Artsakh"', organization_id=relief.id)
    organizer = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, organization=relief)
    html = unescape(organizer.get(f"/organize/campaigns/{campaign.id}").get_data(as_text=True))
    address = "http://localhost/campaigns/snippet/embed?partner=your-site"
    assert f'<iframe src="{address}" title="Recognize &#34;Artsakh&#34;"' in html
    assert client.get("/campaigns/snippet/embed?partner=your-site").status_code == 200

    for n, partner in enumerate(("ngo-paris", "ngo-paris", "diaspora-news")):
        form = {**FORM, "email": f"signer{n}@example.org"}
        response = client.post(f"/campaigns/snippet/embed?partner={partner}", data=form, headers=SAME_ORIGIN)
        assert response.status_code == 303
    db.session.execute(
        update(Signature).where(Signature.campaign_id == campaign.id).values(status=SignatureStatus.VALIDATED)
    )
    db.session.commit()
    dashboard = organizer.get(f"/organize/campaigns/{campaign.id}/dashboard").get_data(as_text=True)
    assert table_rows(dashboard, "chart-sources") == [("embed:ngo-paris", "2"), ("embed:diaspora-news", "1")]


def test_the_snippet_names_no_language_so_the_widget_speaks_each_visitors_own(app, client, db, make_campaign):
    relief = make_organization(db, "Relief")
    campaign = make_campaign(slug="snippet-lang", title="Recognize Artsakh", organization_id=relief.id)
    organizer = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, organization=relief)
    # The organizer reads their page in Armenian; the partner's visitors may read anything.
    html = unescape(organizer.get(f"/organize/campaigns/{campaign.id}?lang=hy").get_data(as_text=True))
    [address] = re.findall(r'<iframe src="([^"]+)"', html)
    assert address == "http://localhost/campaigns/snippet-lang/embed?partner=your-site"

    path = address.removeprefix("http://localhost")
    for language in ("fr", "ru", "hy"):
        widget = client.get(path, headers={"Accept-Language": f"{language},en;q=0.5"})
        assert widget.status_code == 200
        assert f'<html lang="{language}"' in widget.get_data(as_text=True)
        # One address, a page per language: a shared cache must key it by the header.
        assert "Accept-Language" in widget.headers["Vary"]


@pytest.fixture
def partner_site(site: str) -> Iterator[str]:
    """A partner's page on another origin (localhost, not 127.0.0.1) that frames a widget."""
    pages = {
        "/": site + "/campaigns/embedded-e2e/embed?partner=ngo-paris",
        "/campaign-page": site + "/campaigns/embedded-e2e",
    }

    def framing(address: str) -> bytes:
        """A partner page that frames an address of ours."""
        return (
            "<!doctype html><html lang='en'><head><title>Partner</title></head><body>"
            "<h1>Our partner page</h1>"
            f"<iframe src='{address}' title='Sign' width='480' height='900'></iframe>"
            "</body></html>"
        ).encode()

    class Partner(BaseHTTPRequestHandler):
        """Serves the partner's one page."""

        def do_GET(self) -> None:
            """Answer every path with the partner page."""
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(framing(pages.get(self.path, pages["/"])))

        def log_message(self, *args: object) -> None:
            """Keep the test output quiet."""

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Partner)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{port}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.mark.e2e
def test_a_supporter_signs_through_a_widget_framed_by_another_site(
    browser, site, partner_site, db, make_campaign
):
    campaign = make_campaign(slug="embedded-e2e", title="Recognize Artsakh")
    page, errors = open_page(browser)
    page.goto(partner_site)
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", name="Recognize Artsakh")).to_be_visible()
    frame.get_by_label("First name", exact=True).fill("Anahit")
    frame.get_by_label("Last name", exact=True).fill("Petrosyan")
    frame.get_by_label("Email", exact=True).fill("anahit.framed@example.org")
    frame.get_by_label("Country", exact=True).select_option("AM")
    frame.get_by_label("Postal code", exact=True).fill("0010")
    frame.get_by_role("button", name="Sign").click()
    expect(frame.get_by_role("heading", name="Check your inbox")).to_be_visible()
    # The partner's page stayed where it was: the widget signed inside its frame.
    assert page.url == partner_site
    [signature] = signatures(db, campaign.id)
    assert signature.source == "embed:ngo-paris"
    assert errors == []

    # The campaign page itself refuses to be framed by that site.
    page.goto(partner_site + "campaign-page")
    expect(page.get_by_role("heading", name="Our partner page")).to_be_visible()
    page.wait_for_timeout(1000)
    expect(page.frame_locator("iframe").get_by_role("heading", name="Recognize Artsakh")).to_have_count(0)
    assert any("frame-ancestors" in error for error in errors), errors
