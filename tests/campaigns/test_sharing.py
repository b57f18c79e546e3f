"""Sharing: Open Graph and Twitter tags, the share image, the share links and their sources."""

# Armenian text is the point of these tests.
# ruff: noqa: RUF001

import io
import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from campaign.campaigns import sharing
from campaign.campaigns.models import CampaignTranslation
from campaign.i18n import LANGUAGES
from campaign.signing.models import Signature, SignatureStatus
from tests.support.browser import open_page


def meta(html: str, key: str) -> list[str]:
    """The contents of the page's meta tags with this property or name."""
    pattern = rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">'
    return [unescape(value) for value in re.findall(pattern, html)]


def drawn(face, text: str) -> bytes:
    """A text drawn in a font, as pixels."""
    image = Image.new("L", (96, 96))
    ImageDraw.Draw(image).text((8, 8), text, font=face, fill=255)
    return image.tobytes()


def test_the_shipped_font_has_armenian_and_cyrillic_glyphs(app):
    with app.app_context():
        for name in (sharing.FONT_BOLD, sharing.FONT_REGULAR):
            face = sharing.font(name, 48)
            missing = drawn(face, "\u0378")  # an unassigned code point: the font's "no glyph" box
            for letter in ("Ա", "ք", "Ж", "я"):
                assert face.getmask(letter).getbbox() is not None, letter
                assert drawn(face, letter) != missing, letter
    licence = Path(app.static_folder) / "fonts" / "LICENSE"
    assert "Bitstream" in licence.read_text()


def test_the_campaign_page_has_open_graph_and_twitter_tags(client, make_campaign):
    make_campaign(slug="og", title="Recognize Artsakh", summary="Sign for recognition.")
    html = client.get("/campaigns/og").get_data(as_text=True)
    assert meta(html, "og:title") == ["Recognize Artsakh"]
    assert meta(html, "og:description") == ["Sign for recognition."]
    assert meta(html, "og:url") == ["http://localhost/campaigns/og"]
    assert meta(html, "og:image") == ["http://localhost/campaigns/og/share.png?lang=en"]
    assert meta(html, "og:image:width") == ["1200"] and meta(html, "og:image:height") == ["630"]
    assert meta(html, "twitter:card") == ["summary_large_image"]
    assert meta(html, "twitter:title") == ["Recognize Artsakh"]
    assert meta(html, "twitter:description") == ["Sign for recognition."]
    assert meta(html, "twitter:image") == meta(html, "og:image")


def test_open_graph_tags_are_in_the_language_of_the_address(client, db, make_campaign):
    campaign = make_campaign(slug="og-hy", title="Recognize Artsakh", summary="Sign for recognition.")
    db.session.add(
        CampaignTranslation(
            campaign_id=campaign.id,
            language="hy",
            title="Ճանաչե՛ք Արցախը",
            summary="Ստորագրե՛ք ճանաչման համար։",
            body_markdown="Ստորագրե՛ք։",
        )
    )
    campaign.title = campaign.title  # a new translation moves the version, as the builder's does
    db.session.commit()
    html = client.get("/campaigns/og-hy?lang=hy").get_data(as_text=True)
    assert meta(html, "og:title") == ["Ճանաչե՛ք Արցախը"]
    assert meta(html, "og:url") == ["http://localhost/campaigns/og-hy?lang=hy"]
    assert meta(html, "og:image") == ["http://localhost/campaigns/og-hy/share.png?lang=hy"]
    assert meta(html, "twitter:title") == ["Ճանաչե՛ք Արցախը"]
    assert meta(html, "twitter:description") == ["Ստորագրե՛ք ճանաչման համար։"]
    assert meta(html, "twitter:image") == meta(html, "og:image")


# Open Graph's form, language_TERRITORY, as Facebook's list of locales names them. English is en_US:
# the protocol's default locale, and the spelling of the site's English (organize, organization).
OPEN_GRAPH_LOCALES = {"en": "en_US", "hy": "hy_AM", "fr": "fr_FR", "ru": "ru_RU"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_og_locale_is_the_open_graph_form_with_the_other_languages_as_alternates(
    client, make_campaign, language
):
    make_campaign(slug="og-locale", title="Recognize Artsakh")
    html = client.get(f"/campaigns/og-locale?lang={language}").get_data(as_text=True)
    assert meta(html, "og:locale") == [OPEN_GRAPH_LOCALES[language]]
    others = [OPEN_GRAPH_LOCALES[code] for code in LANGUAGES if code != language]
    assert meta(html, "og:locale:alternate") == others
    # The browser's language chooses the same as the address's.
    chosen = client.get("/campaigns/og-locale", headers={"Accept-Language": language}).get_data(as_text=True)
    assert meta(chosen, "og:locale") == [OPEN_GRAPH_LOCALES[language]]


def png(response):
    """The image an answer holds."""
    assert response.status_code == 200 and response.mimetype == "image/png"
    return Image.open(io.BytesIO(response.get_data()))


def test_the_share_image_is_a_1200_by_630_png_per_language_and_count_step(app, client, db, make_campaign):
    campaign = make_campaign(slug="card", title="Recognize the Republic of Artsakh now", goal=1000)
    english = client.get("/campaigns/card/share.png?lang=en")
    assert png(english).size == (1200, 630)
    assert "public" in english.headers["Cache-Control"] and "max-age=300" in english.headers["Cache-Control"]
    assert "Set-Cookie" not in english.headers
    russian = client.get("/campaigns/card/share.png?lang=ru")
    assert png(russian).size == (1200, 630)
    assert russian.get_data() != english.get_data()  # "0 подписей", not "0 signatures"

    # Drawn once and kept: a second visitor reads the same file.
    with app.app_context():
        folder = sharing.share_image_folder()
    kept = sorted(path.name for path in folder.glob(f"{campaign.id}-*.png"))
    assert len(kept) == 2
    assert client.get("/campaigns/card/share.png?lang=en").get_data() == english.get_data()
    assert sorted(path.name for path in folder.glob(f"{campaign.id}-*.png")) == kept

    # Within a step, the same image; past it, a new one.
    set_count(client, db, campaign.id, 1234)
    at_1234 = client.get("/campaigns/card/share.png?lang=en").get_data()
    assert at_1234 != english.get_data()
    set_count(client, db, campaign.id, 1299)
    assert client.get("/campaigns/card/share.png?lang=en").get_data() == at_1234
    set_count(client, db, campaign.id, 1300)
    assert client.get("/campaigns/card/share.png?lang=en").get_data() != at_1234


def set_count(client, db, campaign_id, total):
    """Move a campaign's counter as the fold job does, and wait until the public count shows it."""
    from campaign.counts.models import CampaignCount
    from campaign.counts.read import publish
    from tests.support.waiting import wait_until

    counter = db.session.get(CampaignCount, campaign_id)
    if counter is None:
        counter = CampaignCount(campaign_id=campaign_id, total=0, version=0)
        db.session.add(counter)
    counter.total = total
    counter.version = (counter.version or 0) + 1
    db.session.commit()
    publish([campaign_id])
    query = db.text("SELECT slug FROM campaigns WHERE id = :id")
    slug = db.session.execute(query, {"id": campaign_id}).scalar()
    wait_until(lambda: client.get(f"/campaigns/{slug}/count.json").get_json()["count"] == total)


def test_count_steps_round_down_to_two_significant_digits():
    assert [sharing.count_step(n) for n in (0, 7, 99, 100, 1234, 1299, 1300, 98765)] == [
        0,
        7,
        99,
        100,
        1200,
        1200,
        1300,
        98000,
    ]


def test_a_long_armenian_title_wraps_within_the_image(app):
    with app.app_context():
        width = sharing.WIDTH - 2 * sharing.MARGIN
        title = "Ճանաչե՛ք Արցախի Հանրապետությունը և դադարեցրե՛ք զենքի արտահանումը " * 3
        face, lines = sharing._title_lines(title, width)
        assert face.size == sharing.TITLE_SIZES[-1]
        assert len(lines) == sharing.TITLE_LINES and lines[-1].endswith("…")
        assert all(face.getlength(line) <= width for line in lines)
        short, [line] = sharing._title_lines("Ճանաչե՛ք Արցախը", width)
        assert short.size == sharing.TITLE_SIZES[0] and line == "Ճանաչե՛ք Արցախը"


def share_hrefs(html: str) -> dict[str, str]:
    """The share links of a page, by network."""
    return {
        network: unescape(href)
        for network, href in re.findall(r'<a class="button share-([a-z]+)" href="([^"]+)"', html)
    }


def test_share_links_carry_the_share_text_and_their_source(client, make_campaign):
    make_campaign(slug="links", title="Recognize Artsakh", share_text="I signed: recognize Artsakh now.")
    html = client.get("/campaigns/links").get_data(as_text=True)
    links = share_hrefs(html)
    assert set(links) == {"whatsapp", "telegram", "facebook", "x", "email"}
    for network, href in links.items():
        query = parse_qs(urlsplit(href).query)
        shared = " ".join(value for values in query.values() for value in values)
        assert f"http://localhost/campaigns/links?source={network}" in shared, network
        if network != "facebook":  # Facebook takes only the link
            assert "I signed: recognize Artsakh now." in shared, network
    assert 'data-share-url="http://localhost/campaigns/links?source=webshare"' in html
    assert "js/share.js" in html


def test_a_translated_share_text_reaches_every_share_link(client, db, make_campaign):
    campaign = make_campaign(
        slug="partage", title="Recognize Artsakh", share_text="I signed: recognize Artsakh."
    )
    db.session.add(
        CampaignTranslation(
            campaign_id=campaign.id,
            language="fr",
            title="Reconnaissez l’Artsakh",
            summary="Signez pour la reconnaissance.",
            body_markdown="Signez.",
            share_text="J’ai signé : reconnaissez l’Artsakh.",
        )
    )
    campaign.title = campaign.title  # a new translation moves the version, as the builder's does
    db.session.commit()
    for path in ("/campaigns/partage?lang=fr", "/campaigns/partage/thanks?lang=fr"):
        html = client.get(path).get_data(as_text=True)
        links = share_hrefs(html)
        assert set(links) == {"whatsapp", "telegram", "facebook", "x", "email"}, path
        for network, href in links.items():
            shared = " ".join(value for values in parse_qs(urlsplit(href).query).values() for value in values)
            if network != "facebook":  # Facebook takes only the link
                assert "J’ai signé : reconnaissez l’Artsakh." in shared, (path, network)
            assert "I signed" not in shared, (path, network)
        assert 'data-share-text="J’ai signé : reconnaissez l’Artsakh."' in unescape(html), path
    # The English page keeps the campaign's own words.
    english = share_hrefs(client.get("/campaigns/partage?lang=en").get_data(as_text=True))
    assert "I signed: recognize Artsakh." in parse_qs(urlsplit(english["x"]).query)["text"]


def test_the_thank_you_page_has_the_share_links_too(client, make_campaign):
    make_campaign(slug="thanked", title="Recognize Artsakh", share_text="Join me.")
    html = client.get("/campaigns/thanked/thanks").get_data(as_text=True)
    links = share_hrefs(html)
    assert set(links) == {"whatsapp", "telegram", "facebook", "x", "email"}
    assert "Join+me." in links["x"] or "Join%20me." in links["x"]
    assert 'value="http://localhost/campaigns/thanked?source=copy-link"' in html


def test_the_source_of_a_link_is_recorded_on_the_signature_and_in_the_api(client, db, make_campaign, sign):
    campaign = make_campaign(slug="sourced")
    page = client.get("/campaigns/sourced?source=whatsapp").get_data(as_text=True)
    assert 'name="source" type="hidden" value="whatsapp"' in page
    assert sign("sourced", source="whatsapp").status_code == 303
    query = db.select(Signature).where(Signature.campaign_id == campaign.id)
    signature = db.session.execute(query).scalar_one()
    assert signature.source == "whatsapp" and signature.status == SignatureStatus.PENDING


# A share sheet stand-in: keeps what the page asks it to share (headless Chromium on Linux has none).
SHARE_STUB = """
window.shared = [];
Object.defineProperty(Navigator.prototype, "share", {configurable: true, value: (data) => {
  window.shared.push(data);
  return Promise.resolve();
}});
Object.defineProperty(Navigator.prototype, "canShare", {configurable: true, value: (data) => !!data.url});
"""
NO_SHARE = "delete Navigator.prototype.share; delete Navigator.prototype.canShare;"


@pytest.mark.e2e
@pytest.mark.parametrize("has_share_sheet", [True, False])
def test_the_share_button_opens_the_devices_share_sheet_where_there_is_one(
    browser, site, make_campaign, has_share_sheet
):
    make_campaign(slug="web-share", title="Recognize Artsakh", share_text="I signed: recognize Artsakh.")
    page, errors = open_page(browser)
    page.add_init_script(SHARE_STUB if has_share_sheet else NO_SHARE)
    page.goto(f"{site}/campaigns/web-share?lang=fr")
    button = page.get_by_role("button", name="Partager…")
    if not has_share_sheet:
        expect(page.get_by_role("link", name="WhatsApp")).to_be_visible()
        expect(button).to_have_count(0)
    else:
        button.click()
        page.wait_for_function("window.shared.length === 1")
        assert page.evaluate("window.shared") == [
            {
                "title": "Recognize Artsakh",
                "text": "I signed: recognize Artsakh.",
                # The reader's language goes with the link: the card and the page are in it.
                "url": f"{site}/campaigns/web-share?source=webshare&lang=fr",
            }
        ]
    assert errors == []
    page.context.close()
