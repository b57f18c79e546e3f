"""The dashboard in the organizer's language: country names, days, the "(direct)" source and numbers."""

import re
from datetime import datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from campaign.accounts.models import Role
from campaign.counts import fold as counts
from campaign.signing.models import Signature
from campaign.updates import charts, dashboard
from campaign.updates.charts import column_chart
from tests.support.organizations import make_organization, signed_in
from tests.support.signers import add_signer

# The dashboard's "now": the last of its thirty days is 3 December, the first 4 November.
NOW = datetime(2026, 12, 3, 15, 30)


def table_rows(html, figure_id):
    """The (label, value) rows of a chart's table."""
    return re.findall(r'<tr><th scope="row">([^<]*)</th><td>([^<]*)</td></tr>', figure(html, figure_id))


def figure(html, figure_id):
    """The HTML of one chart's figure."""
    return html.split(f'id="{figure_id}"', 1)[1].split("</figure>", 1)[0]


def day_axis(html):
    """The day labels written under the daily chart's columns."""
    return re.findall(r'text-anchor="middle"[^>]*>([^<]*)</text>', figure(html, "chart-daily"))


def ticks(html, figure_id):
    """The values written beside a column chart's guide lines, bottom first."""
    return re.findall(r'text-anchor="end"[^>]*>([^<]*)</text>', figure(html, figure_id))


@pytest.fixture
def board(app, db, make_campaign, monkeypatch):
    """An organizer's browser and the dashboard's address; two signatures from Armenia, one from France."""
    relief = make_organization(db, "Relief")
    campaign = make_campaign(slug="langs", organization_id=relief.id)
    add_signer(db, campaign, "ani@example.org")
    add_signer(db, campaign, "aram@example.org", source="newsletter")
    add_signer(db, campaign, "marie@example.org", country="FR")
    counts.fold_signatures(batch=100)
    db.session.execute(update(Signature).values(validated_at=NOW.replace(hour=9)))
    db.session.commit()
    # Only the dashboard's clock stands still, so its thirty days are known; signing in keeps the real one.
    monkeypatch.setattr(dashboard, "clock", SimpleNamespace(now=lambda: NOW))
    browser = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, organization=relief)
    return browser, f"/organize/campaigns/{campaign.id}/dashboard"


def page(board, language):
    """The dashboard's HTML in a language."""
    browser, address = board
    response = browser.get(f"{address}?lang={language}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_countries_are_named_in_the_readers_language(board):
    assert table_rows(page(board, "fr"), "chart-countries") == [("Arménie", "2"), ("France", "1")]
    assert table_rows(page(board, "ru"), "chart-countries") == [("Армения", "2"), ("Франция", "1")]
    assert table_rows(page(board, "en"), "chart-countries") == [("Armenia", "2"), ("France", "1")]


def test_signatures_with_no_source_tag_are_counted_as_direct(board):
    # "(direct)" is a new message: the catalogs have no translation of it yet.
    assert table_rows(page(board, "en"), "chart-sources") == [("(direct)", "2"), ("newsletter", "1")]


def test_days_are_written_day_and_month_as_each_language_writes_them(board):
    english, french, russian = page(board, "en"), page(board, "fr"), page(board, "ru")
    assert table_rows(english, "chart-daily")[0] == ("Nov 4", "0")
    assert table_rows(english, "chart-daily")[-1] == ("Dec 3", "3")
    assert table_rows(french, "chart-daily")[-1] == ("3 déc.", "3")
    assert table_rows(russian, "chart-daily")[-1] == ("3 дек.", "3")
    assert day_axis(english) == ["Nov 4", "Nov 9", "Nov 14", "Nov 19", "Nov 24", "Nov 29"]
    assert day_axis(french) == ["4 nov.", "9 nov.", "14 nov.", "19 nov.", "24 nov.", "29 nov."]


def test_the_day_axis_is_labelled_with_every_whole_number_of_a_scale_of_five(board):
    # Three signatures on the busiest day: the axis goes to 5, and no tick says 2 where 2.5 is.
    assert ticks(page(board, "en"), "chart-daily") == ["0", "1", "2", "3", "4", "5"]


def test_guides_stand_at_whole_values_and_where_those_values_are():
    assert [charts.guide_values(top) for top in (0, 1, 2, 5, 10, 50)] == [
        [],
        [0, 1],
        [0, 1, 2],
        [0, 1, 2, 3, 4, 5],
        [0, 5, 10],
        [0, 25, 50],
    ]
    chart = column_chart([("a", 3), ("b", 1)], height=100)
    bottom, top = 100 - charts.COLUMN_BOTTOM, 8
    assert chart.maximum == 5
    for y, value in chart.guides:
        assert y == pytest.approx(bottom - (bottom - top) * value / 5, abs=0.01)


def test_the_charts_numbers_are_written_as_the_readers_language_writes_them(app):
    points = [("a", 1500), ("b", 2000)]
    series = dashboard.Series("Per day", "Day", points, column_chart(points))
    macro = app.jinja_env.get_template("updates/_charts.html").module.chart
    with app.test_request_context("/?lang=fr"):
        html = str(macro(series, "chart-test"))
    assert ticks(html, "chart-test") == ["0", "1\u202f000", "2\u202f000"]
    assert ("a", "1\u202f500") in table_rows(html, "chart-test")
    assert "3\u202f500 au total" in html
