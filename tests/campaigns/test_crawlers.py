"""Search engines find every public campaign, in each language, and never list a page of one's own."""

from __future__ import annotations

import html as markup
import re
from typing import Any
from xml.etree import ElementTree

from campaign import clock
from campaign.campaigns.models import CampaignStatus
from campaign.signing.models import Signature
from campaign.signing.supporters import my_token
from campaign.signing.tokens import confirmation_token
from tests.campaigns.test_cache_friendly import assert_cacheable

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def test_the_sitemap_lists_every_public_campaign_in_every_language(
    client: Any, db: Any, make_campaign: Any
) -> None:
    make_campaign(slug="recognize")
    make_campaign(slug="ended", status=CampaignStatus.CLOSED, closed_at=clock.now())
    make_campaign(slug="draft", status=CampaignStatus.DRAFT)
    make_campaign(slug="in-review", status=CampaignStatus.IN_REVIEW)
    make_campaign(slug="taken-down", status=CampaignStatus.TAKEN_DOWN, taken_down_at=clock.now())

    response = client.get("/sitemap.xml")
    assert_cacheable(response)
    assert response.cache_control.max_age == 300  # made at most every five minutes per copy
    assert response.mimetype == "application/xml"
    urls = ElementTree.fromstring(response.data).findall(f"{SITEMAP}url")
    listed = {url.findtext(f"{SITEMAP}loc"): url for url in urls}
    assert set(listed) == {
        "http://localhost/",
        "http://localhost/ended",
        "http://localhost/campaigns/recognize",
        "http://localhost/campaigns/ended",
    }
    page = listed["http://localhost/campaigns/recognize"]
    assert page.findtext(f"{SITEMAP}lastmod", "").endswith("Z")
    assert _alternates(page) == {
        "en": "http://localhost/campaigns/recognize?lang=en",
        "hy": "http://localhost/campaigns/recognize?lang=hy",
        "fr": "http://localhost/campaigns/recognize?lang=fr",
        "ru": "http://localhost/campaigns/recognize?lang=ru",
        "x-default": "http://localhost/campaigns/recognize",
    }
    # Each alternate is the page in that language.
    assert 'lang="hy"' in client.get("/campaigns/recognize?lang=hy").get_data(as_text=True)


def _alternates(url: ElementTree.Element) -> dict[str | None, str | None]:
    """A sitemap entry's addresses of the page in each language, by hreflang."""
    return {link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")}


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_the_work_areas(
    client: Any, db: Any
) -> None:
    response = client.get("/robots.txt")
    assert_cacheable(response)
    lines = response.get_data(as_text=True).splitlines()
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert {"Disallow: /organize/", "Disallow: /staff/", "Disallow: /api/"} <= set(lines)
    # The pages of one's own are not forbidden: a crawler must read them to see their noindex.
    assert not any(
        line.startswith("Disallow: /my") or line.startswith("Disallow: /confirm") for line in lines
    )


def test_a_page_of_ones_own_says_noindex_and_a_public_page_does_not(
    app: Any, client: Any, db: Any, make_campaign: Any, sign: Any
) -> None:
    make_campaign(slug="recognize")
    sign("recognize")
    signature = db.session.query(Signature).one()
    with app.test_request_context():
        own_pages = [f"/my/{my_token(signature.person_id)}", f"/confirm/{confirmation_token(signature.id)}"]
    for path in own_pages:
        response = app.test_client().get(path)  # a crawler: no cookie
        assert response.status_code == 200, path
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow", path
    for path in ("/", "/ended", "/campaigns/recognize", "/sitemap.xml"):
        assert "X-Robots-Tag" not in app.test_client().get(path).headers, path


def _head_links(html: str) -> tuple[str, dict[str, str]]:
    """The page's canonical address, and its alternates by hreflang."""
    head = html.split("</head>", 1)[0]
    canonical = re.findall(r'<link rel="canonical" href="([^"]+)">', head)
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', head))
    assert len(canonical) == 1, head
    return markup.unescape(canonical[0]), {code: markup.unescape(href) for code, href in alternates.items()}


def test_a_public_page_names_its_one_address_and_its_languages_whatever_link_led_to_it(
    client: Any, db: Any, make_campaign: Any
) -> None:
    """A link shared with ?source=, or tagged by another site, is not a page of its own to a search
    engine: each page names the address the sitemap lists, in the language its address asks for."""
    make_campaign(slug="recognize")
    html = client.get("/campaigns/recognize?source=facebook&utm_campaign=x&fbclid=1").get_data(as_text=True)
    canonical, alternates = _head_links(html)
    assert canonical == "http://localhost/campaigns/recognize"
    assert alternates == {
        "en": "http://localhost/campaigns/recognize?lang=en",
        "hy": "http://localhost/campaigns/recognize?lang=hy",
        "fr": "http://localhost/campaigns/recognize?lang=fr",
        "ru": "http://localhost/campaigns/recognize?lang=ru",
        "x-default": "http://localhost/campaigns/recognize",
    }
    # The same alternates as the sitemap's, so the two never tell a search engine different things.
    sitemap = ElementTree.fromstring(client.get("/sitemap.xml").data)
    listed = {url.findtext(f"{SITEMAP}loc"): _alternates(url) for url in sitemap.findall(f"{SITEMAP}url")}
    assert listed[canonical] == alternates

    french = client.get("/campaigns/recognize?lang=fr&source=whatsapp").get_data(as_text=True)
    assert _head_links(french)[0] == "http://localhost/campaigns/recognize?lang=fr"
    assert _head_links(client.get("/?utm_source=x").get_data(as_text=True))[0] == "http://localhost/"
    # A list's later page is a page of its own; its first is the list's address.
    for number in range(21):
        make_campaign(slug=f"ended-{number}", status=CampaignStatus.CLOSED, closed_at=clock.now())
    assert _head_links(client.get("/ended?page=2&lang=ru").get_data(as_text=True))[0] == (
        "http://localhost/ended?lang=ru&page=2"
    )
    assert _head_links(client.get("/ended?page=1").get_data(as_text=True))[0] == "http://localhost/ended"
