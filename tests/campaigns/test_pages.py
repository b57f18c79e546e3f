"""The public pages: the list, a campaign, errors; and the headers every page carries."""

from sqlalchemy import text

from campaign.campaigns.models import CampaignKind, CampaignStatus


def test_the_home_page_lists_open_campaigns_only(client, make_campaign):
    make_campaign(slug="open-one", title="Open one")
    make_campaign(slug="draft-one", title="Draft one", status=CampaignStatus.DRAFT)
    make_campaign(slug="closed-one", title="Closed one", status=CampaignStatus.CLOSED)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/campaigns/open-one"' in page
    assert "Draft one" not in page and "Closed one" not in page


def test_the_campaign_page_has_a_labelled_form_and_the_count(client, make_campaign):
    make_campaign(slug="letters", kind=CampaignKind.LETTER, goal=2500, title="Write to them")
    page = client.get("/campaigns/letters?source=telegram").get_data(as_text=True)
    for name in (
        "given_name",
        "family_name",
        "email",
        "country",
        "postal_code",
        "message",
        "comment",
        "email_opt_in",
        "csrf_token",
    ):
        assert f'name="{name}"' in page, name
    for field in ("given_name", "family_name", "email", "country", "postal_code"):
        assert f'<label for="{field}"' in page, field
    assert 'name="source" type="hidden" value="telegram"' in page
    assert 'name="email_opt_in" type="checkbox" value="y">' in page  # unchecked by default
    assert "of 2,500 needed" in page
    assert '<progress class="count-bar" max="2500" value="0">' in page


def test_markdown_from_organizers_is_sanitized(client, make_campaign):
    make_campaign(
        slug="md",
        body_markdown=(
            "**Bold** [link](https://example.org) <script>alert(1)</script> "
            "[bad](javascript:alert(1)) <img src=x onerror=alert(1)>"
        ),
    )
    page = client.get("/campaigns/md").get_data(as_text=True)
    assert "<strong>Bold</strong>" in page
    assert 'href="https://example.org"' in page
    assert "<script>alert(1)" not in page
    assert 'href="javascript:' not in page
    # The page's own pictures aside (its default picture), the organizer's text brings no image.
    body = page.split('<section class="body"')[1].split("</section>")[0]
    assert "<img" not in body


def test_security_headers_on_every_page(client, make_campaign):
    make_campaign(slug="safe")
    for path in ("/", "/campaigns/safe", "/campaigns/safe/count.json", "/nowhere"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_no_page_has_an_inline_script(client, make_campaign):
    make_campaign(slug="safe")
    page = client.get("/campaigns/safe").get_data(as_text=True)
    assert "<script>" not in page and "onclick" not in page and "style=" not in page


def test_the_session_cookie_is_httponly_and_lax(client, make_campaign):
    # Public pages set no cookie (tests/campaigns/test_cache_friendly.py); the sign-in page does.
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_unknown_pages_get_a_friendly_404(client, db):
    response = client.get("/campaigns/no-such-campaign")
    assert response.status_code == 404
    assert "We cannot find that page" in response.get_data(as_text=True)


def test_a_failure_gets_a_friendly_500_without_details(app, client, db):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    try:
        db.session.execute(text("ALTER TABLE campaigns RENAME TO campaigns_away"))
        db.session.commit()
        response = client.get("/")
    finally:
        db.session.rollback()
        db.session.execute(text("ALTER TABLE campaigns_away RENAME TO campaigns"))
        db.session.commit()
        app.config["PROPAGATE_EXCEPTIONS"] = None
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "something went wrong" in body
    assert "Traceback" not in body and "campaigns_away" not in body


def test_the_health_check_answers_when_the_database_does(client, db):
    response = client.get("/healthz")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "ok\n")


def test_a_campaign_past_its_deadline_leaves_the_home_page(client, make_campaign):
    from datetime import timedelta

    from campaign import clock

    make_campaign(slug="still-open", title="Still open", closes_at=clock.now() + timedelta(days=1))
    make_campaign(
        slug="past-deadline", title="Past its deadline", closes_at=clock.now() - timedelta(minutes=1)
    )
    page = client.get("/").get_data(as_text=True)
    assert "Still open" in page and "Past its deadline" not in page
