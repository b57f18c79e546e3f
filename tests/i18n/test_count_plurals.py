"""The live count's words agree with its number in every language (1 подпись, 2 подписи, 5 подписей).

The server writes the count sentence in each plural form of the page's
language into <template data-plural="one|few|many|other"> elements;
count.js picks one with the browser's Intl.PluralRules when the count
changes, so no translation lives in the script.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.browser import open_page


def plural_forms(page: str) -> dict[str, str]:
    """The sentence templates a page carries for count.js, by plural category, tags stripped."""
    found = re.findall(r'<template data-plural="([a-z]+)">(.*?)</template>', page, re.DOTALL)
    return {category: re.sub(r"<[^>]+>", "", html) for category, html in found}


def test_the_russian_page_carries_the_one_few_and_many_forms(client: Any, make_campaign: Any) -> None:
    make_campaign(slug="recognize", goal=1000)
    page = client.get("/campaigns/recognize?lang=ru").get_data(as_text=True)
    assert plural_forms(page) == {
        "one": "{count} подпись из {goal} необходимых",
        "few": "{count} подписи из {goal} необходимых",
        "many": "{count} подписей из {goal} необходимых",
    }
    # Without JavaScript the page says it in the right form already.
    assert re.search(r'count-value">0</strong> подписей', page)


def test_each_language_carries_its_own_categories(client: Any, make_campaign: Any) -> None:
    make_campaign(slug="recognize", goal=1000)
    english = plural_forms(client.get("/campaigns/recognize?lang=en").get_data(as_text=True))
    assert english == {
        "one": "{count} signature of {goal} needed",
        "other": "{count} signatures of {goal} needed",
    }
    french = plural_forms(client.get("/campaigns/recognize?lang=fr").get_data(as_text=True))
    assert set(french) == {"one", "many", "other"}
    armenian = plural_forms(client.get("/campaigns/recognize?lang=hy").get_data(as_text=True))
    assert set(armenian) == {"one", "other"}


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("count", "word"), [(1, "подпись"), (3, "подписи"), (25, "подписей"), (21, "подпись")]
)
def test_the_live_count_changes_its_words_with_its_number(
    browser: Any, site: str, db: Any, make_campaign: Any, count: int, word: str
) -> None:
    make_campaign(slug="live", goal=1000)
    page, errors = open_page(browser)
    # The count as the server would answer once the fold job moved it.
    page.route(
        re.compile(r"/campaigns/live/count\.json"),
        lambda route: route.fulfill(
            json={"slug": "live", "count": count, "goal": 1000, "by_country": {}, "updated_at": None}
        ),
    )
    page.goto(f"{site}/campaigns/live?lang=ru")
    sentence = page.locator(".live-count .count")
    expect(sentence).to_contain_text("0 подписей")
    expect(sentence).to_have_text(re.compile(rf"^{count} {word} из 1\s000 необходимых$"), timeout=8000)
    assert errors == []
    page.context.close()
