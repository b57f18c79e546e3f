"""The list of open campaigns in the reader's language: translated titles and summaries, else their own."""

# Armenian text, whose letters resemble Latin ones.
# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from campaign.campaigns import translations
from campaign.extensions import db as database

HY_TITLE = "Ճանաչե՛ք Արցախի Հանրապետությունը"
HY_SUMMARY = "Խնդրեք մեր խորհրդարանին ճանաչել Արցախը։"


def translate(db: Any, campaign: Any, title: str = HY_TITLE, summary: str = HY_SUMMARY) -> None:
    """Give a campaign its Armenian words."""
    translations.save(campaign, "hy", translations.TranslationDraft(title, summary, "Ստորագրե՛ք։"))
    db.session.commit()


@contextmanager
def counted_queries(app: Any) -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs."""
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    with app.app_context():
        engine = database.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_the_list_shows_each_campaign_in_the_reader_language_or_its_own(
    client: Any, db: Any, make_campaign: Any
) -> None:
    translated = make_campaign(slug="recognize", title="Recognize Artsakh", summary="Sign for recognition.")
    make_campaign(slug="lake", title="Save Lake Sevan", summary="Stop the drain.")
    translate(db, translated)

    armenian = client.get("/?lang=hy").get_data(as_text=True)
    assert f'<h2 lang="hy"><a href="/campaigns/recognize?lang=hy">{HY_TITLE}</a></h2>' in armenian
    assert f'<p lang="hy">{HY_SUMMARY}</p>' in armenian
    assert "Recognize Artsakh" not in armenian and "Sign for recognition." not in armenian
    # No Armenian words for the other one: its own, marked as English.
    assert '<h2 lang="en"><a href="/campaigns/lake?lang=hy">Save Lake Sevan</a></h2>' in armenian

    french = client.get("/?lang=fr").get_data(as_text=True)
    assert '<h2 lang="en"><a href="/campaigns/recognize?lang=fr">Recognize Artsakh</a></h2>' in french
    assert HY_TITLE not in french


def test_the_list_asks_for_the_translations_once_however_many_campaigns(
    app: Any, client: Any, db: Any, make_campaign: Any
) -> None:
    first = make_campaign(title="First")
    translate(db, first, title="Առաջին")
    client.get("/?lang=hy")
    with counted_queries(app) as one:
        assert "Առաջին" in client.get("/?lang=hy").get_data(as_text=True)

    for n in range(4):
        translate(db, make_campaign(title=f"Campaign {n}"), title=f"Արշավ {n}")
    client.get("/?lang=hy")
    with counted_queries(app) as five:
        page = client.get("/?lang=hy").get_data(as_text=True)
    assert all(f"Արշավ {n}" in page for n in range(4))
    assert len(five) == len(one), five
    assert sum("campaign_translations" in statement for statement in five) == 1
