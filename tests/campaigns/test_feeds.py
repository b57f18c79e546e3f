"""The two public lists as Atom feeds: campaigns as they open, and what came of those that ended,
followed in a feed reader without giving anyone an address."""

# French text, with its apostrophes.
# ruff: noqa: RUF001

from __future__ import annotations

import html as markup
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

from campaign import clock
from campaign.campaigns.models import CampaignKind, CampaignStatus, OutcomeKind
from tests.campaigns.test_cache_friendly import assert_cacheable
from tests.campaigns.test_ended_list import ended_with_a_response_in_french
from tests.support.counts import fold_all
from tests.support.signers import add_signatures_in_bulk

ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def read_feed(client: Any, path: str) -> ElementTree.Element:
    """The feed at `path`, parsed (a feed that is not well-formed XML fails here), after checking that a
    shared cache may keep it and that feed readers know it for Atom."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    assert_cacheable(response)
    assert response.cache_control.max_age == 300  # polled every few minutes: made at most that often
    return ElementTree.fromstring(response.data)


def entries(feed: ElementTree.Element) -> dict[str, ElementTree.Element]:
    """The feed's entries by the address of the page each links to."""
    found = {}
    for entry in feed.findall(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link[@rel='alternate']")
        assert link is not None
        found[link.get("href", "")] = entry
    return found


def content(entry: ElementTree.Element) -> str:
    """An entry's content as the reader shows it: HTML, carried as text."""
    return entry.findtext(f"{ATOM}content", "")


def test_the_feed_of_open_campaigns_holds_each_as_it_opened(client: Any, db: Any, make_campaign: Any) -> None:
    now = clock.now()
    letter = make_campaign(
        slug="suspend-exports",
        kind=CampaignKind.LETTER,
        title="Suspend the arms exports",
        summary="Ask the minister to suspend the permits.",
        approved_at=now - timedelta(days=3),
        goal=1000,
    )
    make_campaign(slug="draft", status=CampaignStatus.DRAFT)
    make_campaign(slug="ended", status=CampaignStatus.CLOSED, closed_at=now)
    make_campaign(slug="taken-down", status=CampaignStatus.TAKEN_DOWN, taken_down_at=now)
    make_campaign(slug="not-yet", opens_at=now + timedelta(days=1))
    add_signatures_in_bulk(db, letter.id, [{"email": f"s{n}@example.org", "country": "CA"} for n in range(3)])
    fold_all(db)

    feed = read_feed(client, "/feed.atom")
    assert feed.findtext(f"{ATOM}title") == "Open campaigns"
    assert feed.get(XML_LANG) == "en"
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "http://localhost/feed.atom"  # type: ignore[union-attr]
    assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == "http://localhost/"  # type: ignore[union-attr]
    found = entries(feed)
    assert list(found) == ["http://localhost/campaigns/suspend-exports"]  # only what is open now
    entry = found["http://localhost/campaigns/suspend-exports"]
    assert entry.findtext(f"{ATOM}title") == "Suspend the arms exports"
    assert entry.findtext(f"{ATOM}summary") == "Ask the minister to suspend the permits."
    assert entry.findtext(f"{ATOM}published") == f"{now - timedelta(days=3):%Y-%m-%dT%H:%M:%SZ}"
    assert "Letter to officials · 3 signatures of 1,000" in " ".join(content(entry).split())
    assert entry.findtext(f"{ATOM}id", "").startswith("tag:localhost,")

    # The lists lead feed readers to their feeds, and tell people they need give no address for it.
    home = client.get("/").get_data(as_text=True)
    assert (
        '<link rel="alternate" type="application/atom+xml" title="Open campaigns" href="/feed.atom">' in home
    )
    assert "without giving us your email" in home
    ended = client.get("/ended").get_data(as_text=True)
    assert 'type="application/atom+xml" title="Campaigns that ended" href="/ended.atom"' in ended


def test_the_feed_of_ended_campaigns_says_what_came_of_each_and_stays_well_formed(
    client: Any, db: Any, make_campaign: Any
) -> None:
    now = clock.now()
    make_campaign(
        slug="suspend-exports",
        title="Suspend <the> arms & exports",
        status=CampaignStatus.CLOSED,
        closed_at=now - timedelta(days=2),
        outcome_kind=OutcomeKind.VICTORY,
        # Organizers' words, as hostile as they come: sanitized as on the page, then carried as text.
        outcome_markdown="Canada **suspended** the permits. <script>alert(1)</script> ]]> &amp; <b>",
        outcome_at=now - timedelta(days=1),
    )
    make_campaign(slug="past-deadline", closes_at=now - timedelta(hours=1))
    make_campaign(slug="open-now")

    found = entries(read_feed(client, "/ended.atom"))
    assert list(found) == [
        "http://localhost/campaigns/past-deadline",
        "http://localhost/campaigns/suspend-exports",
    ]
    won = found["http://localhost/campaigns/suspend-exports"]
    assert won.findtext(f"{ATOM}title") == "Suspend <the> arms & exports"
    assert won.findtext(f"{ATOM}published") == f"{now - timedelta(days=2):%Y-%m-%dT%H:%M:%SZ}"
    assert (
        won.findtext(f"{ATOM}updated") == f"{now - timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}"
    )  # the outcome came
    shown = content(won)
    assert "<h2>Victory</h2>" in shown
    assert "<strong>suspended</strong>" in shown
    assert "<script" not in shown and "<b>" not in shown
    # Each campaign keeps one id in each feed, not shared between them: a reader of both sees two events.
    opened = entries(read_feed(client, "/feed.atom"))["http://localhost/campaigns/open-now"]
    ids = {won.findtext(f"{ATOM}id"), opened.findtext(f"{ATOM}id")}
    assert len(ids) == 2 and all(key and key.endswith(("/ended", "/opened")) for key in ids)


def test_a_feed_reads_in_the_language_its_address_or_the_reader_asks_for(
    client: Any, db: Any, make_campaign: Any
) -> None:
    ended_with_a_response_in_french(db, make_campaign)

    feed = read_feed(client, "/ended.atom?lang=fr")
    assert feed.get(XML_LANG) == "fr"
    assert feed.findtext(f"{ATOM}title") == "Campagnes terminées"
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "http://localhost/ended.atom?lang=fr"  # type: ignore[union-attr]
    entry = entries(feed)["http://localhost/campaigns/recognize?lang=fr"]
    title = entry.find(f"{ATOM}title")
    assert title is not None and (title.text, title.get(XML_LANG)) == ("Reconnaissez l’Artsakh", "fr")
    shown = markup.unescape(content(entry))
    assert "Les décideurs ont répondu" in shown
    # The outcome is written once, in the campaign's own language, and says so.
    assert '<div lang="en"><p>The minister answered.</p>' in shown

    # Chosen by the browser's header, the answer says it varies by it, so a cache keeps each language.
    answer = client.get("/ended.atom", headers={"Accept-Language": "ru"})
    assert "Accept-Language" in answer.headers["Vary"]
    assert ElementTree.fromstring(answer.data).get(XML_LANG) == "ru"
    assert "Accept-Language" not in client.get("/ended.atom?lang=ru").headers.get("Vary", "")


def test_with_nothing_to_follow_a_feed_is_still_a_feed(client: Any, db: Any) -> None:
    for path in ("/feed.atom", "/ended.atom"):
        feed = read_feed(client, path)
        assert feed.findtext(f"{ATOM}updated")  # Atom requires it even with no entry
        assert feed.findall(f"{ATOM}entry") == []
