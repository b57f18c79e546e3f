"""The OSDI filter language: parsed as the spec writes it, and no input makes the API fail."""

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from campaign.accounts.models import Role
from campaign.api import filters
from campaign.api.campaigns import CAMPAIGN_FIELDS
from campaign.api.filters import Comparison, FilterError, Logical

FIELDS = ("modified_date", "created_date", "email_address", "country", "region", "title")
# Every date Python has, the edges most often: the last second of year 9999 has no next one, and an
# offset takes the first and last days out of range.
EDGES = [datetime.min, datetime.max, filters.LAST_MOMENT, datetime(9999, 12, 31, 23, 59, 58)]
DATES = st.one_of(st.sampled_from(EDGES), st.datetimes()).map(lambda d: d.isoformat())
OFFSETS = st.sampled_from(["", "Z", "-05:00", "+04:00", "-05", "+14:00", "-12:00"])
# Any text, control characters and NUL (which PostgreSQL's text cannot hold) drawn often.
TEXT = st.text(
    st.one_of(st.sampled_from("\x00\x01\x1f\x7f'\u2028"), st.characters(codec="utf-8")), max_size=12
)
# Numbers past any integer or float column, and numbers with long fractions.
NUMBERS = st.one_of(
    st.integers(-(10**200), 10**200).map(str),
    st.tuples(st.integers(-(10**40), 10**40), st.integers(0, 10**40)).map(lambda n: f"{n[0]}.{n[1]}"),
)


def test_the_specs_examples_parse():
    assert filters.parse("first_name eq 'John'") == Comparison("first_name", "eq", "John")
    assert filters.parse("birthdate/month gt 1980") == Comparison("birthdate/month", "gt", 1980)
    assert filters.parse("first_name eq 'John' or first_name eq 'Jon'") == Logical(
        "or", Comparison("first_name", "eq", "John"), Comparison("first_name", "eq", "Jon")
    )
    # and binds tighter than or; parentheses override it; quotes are doubled inside a value.
    assert filters.parse("a eq '1' or b eq '2' and c eq 'O''Brien'") == Logical(
        "or",
        Comparison("a", "eq", "1"),
        Logical("and", Comparison("b", "eq", "2"), Comparison("c", "eq", "O'Brien")),
    )
    assert filters.parse("(a eq '1' or b eq '2') and c ne '3'").op == "and"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "empty"),
        ("modified_date gt", "value"),
        ("modified_date gt '2026", "not closed"),
        ("modified_date between '1' '2'", "operator"),
        ("(modified_date gt '1'", "where '\\)' was expected"),
        ("modified_date gt '1' modified_date lt '2'", "'and' or 'or'"),
        ("eq eq '1'", "field name"),
        ("a eq '1' and", "comparison"),
        ("a eq '1'; DROP TABLE people", "cannot read"),
        ("(" * 40 + "a eq '1'" + ")" * 40, "nest"),
        (" or ".join(["a eq '1'"] * 40), "at most"),
    ],
)
def test_a_malformed_filter_is_explained(source, message):
    with pytest.raises(FilterError, match=message):
        filters.parse(source)


def _comparisons():
    """Comparisons a client could write: known and unknown fields, dates with offsets, text, numbers."""
    value = st.one_of(
        st.tuples(DATES, OFFSETS).map(lambda pair: "'" + pair[0] + pair[1] + "'"),
        TEXT.map(lambda text: "'" + text.replace("'", "''") + "'"),
        NUMBERS,
    )
    # Any name but the grammar's own words (an operator or and/or is never a field's name).
    reserved = {"and", "or", *filters.OPERATORS}
    unknown = st.from_regex(r"[a-z_]{1,10}", fullmatch=True).filter(lambda name: name not in reserved)
    field = st.one_of(st.sampled_from(FIELDS), unknown)
    return st.tuples(field, st.sampled_from(filters.OPERATORS), value).map(" ".join)


def _expressions():
    return st.recursive(
        _comparisons(),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from([" and ", " or ", " AND "]), inner).map("".join),
            inner.map(lambda text: f"({text})"),
        ),
        max_leaves=6,
    )


def _leaves(node):
    """The comparisons of a parsed filter."""
    return [node] if isinstance(node, Comparison) else _leaves(node.left) + _leaves(node.right)


@given(_expressions())
@example("modified_date gt '9999-12-31T23:59:59Z' and title eq 'a\x00b'")
@settings(max_examples=200, deadline=None)
def test_every_sentence_of_the_grammar_parses(source):
    """Every sentence parses, and each of its comparisons over the campaigns' fields becomes SQL or a
    FilterError (an unknown field, a value no record can hold), never another exception."""
    tree = filters.parse(source)
    assert isinstance(tree, Comparison | Logical)
    for comparison in _leaves(tree):
        try:
            filters.to_sql(comparison, CAMPAIGN_FIELDS)
        except FilterError as error:
            assert str(error).startswith("filter: ")
        else:
            assert "\x00" not in str(comparison.value)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("title eq 'a\x00b'", "NUL"),
        ("modified_date gt '9999-12-31T23:59:59Z'", "before 9999-12-31T23:59:59Z"),
        ("modified_date le '9999-12-31T23:59:59'", "before 9999-12-31T23:59:59Z"),
        ("created_date lt '0001-01-01T00:00:00+01:00'", "outside the range"),
        ("created_date gt '9999-12-31T23:00:00-05:00'", "outside the range"),
    ],
)
def test_a_value_no_record_can_hold_is_explained(source, message):
    with pytest.raises(FilterError, match=message):
        filters.to_sql(filters.parse(source), CAMPAIGN_FIELDS)


def test_the_last_comparable_second_is_compared():
    assert (
        filters.to_sql(filters.parse("modified_date gt '9999-12-31T23:59:58Z'"), CAMPAIGN_FIELDS) is not None
    )


@given(
    st.datetimes(max_value=filters.LAST_MOMENT - timedelta(microseconds=1)), st.sampled_from(["Z", "+00:00"])
)
def test_a_utc_date_reads_as_itself(moment, offset):
    assert filters.moment(moment.isoformat() + offset) == moment


@pytest.fixture
def staff_headers(api_user, make_campaign, db):
    make_campaign(slug="filtered")
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    return headers


def test_no_filter_makes_the_api_fail(app, client, staff_headers):
    """Grammar sentences and arbitrary text, on every filtered collection: 200 or a clear 400."""
    app.config["API_RATE_LIMIT"] = "100000/minute"
    paths = [
        "/api/v1/petitions",
        "/api/v1/petitions/1/signatures",
        "/api/v1/people",
        "/api/v1/advocacy_campaigns",
    ]

    @given(st.one_of(_expressions(), TEXT, st.text(max_size=60)), st.sampled_from(paths))
    # What the audit found answering 500 before: NUL in a value, the last second of year 9999.
    @example("title eq 'a\x00b'", paths[0])
    @example("modified_date gt '9999-12-31T23:59:59Z'", paths[0])
    @example("modified_date le '9999-12-31T23:59:59'", paths[3])
    @example("country eq '\x00'", paths[1])
    @example("email_address eq '\x00'", paths[1])
    @example("country eq 'a\x00'", paths[2])
    @example("modified_date gt '9999-12-31T23:59:59+00:00'", paths[2])
    @example("region ne '\x00'", paths[2])
    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(source, path):
        answer = client.get(path, query_string={"filter": source}, headers=staff_headers)
        assert answer.status_code in (200, 400), (source, answer.status_code, answer.get_data(as_text=True))
        if answer.status_code == 400:
            assert answer.json["error"].startswith("filter")

    try:
        check()
    finally:
        app.config["API_RATE_LIMIT"] = "600/minute"
