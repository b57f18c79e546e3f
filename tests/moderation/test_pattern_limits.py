"""Address patterns staff type: refused with a message when the engine cannot take them, never a
server error; and matched in time linear in the address, whatever the pattern."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import func, select

from campaign.moderation import patterns
from campaign.moderation.models import InvalidationJob
from tests.moderation.test_trending import people
from tests.support.forms import post_form

__all__ = ["people"]  # the fixture

NEW = "/staff/moderation/fraud/invalidations"
NOT_VALID = "The pattern is not a valid regular expression"


def test_a_pattern_the_engine_cannot_take_is_refused_with_its_reason(
    db: Any,
    people: Any,
    make_campaign: Any,
) -> None:
    make_campaign()
    for pattern, reason in (
        ("/a{1001}/", "invalid repetition size"),
        ("/(?=anahit)a/", "invalid perl operator"),  # look-around: an address pattern has no need of it
        ("/(a)\\1/", "invalid escape sequence"),  # back-reference: likewise
        ("/(/", "missing )"),
    ):
        answer = post_form(people.staff, NEW, pattern=pattern, statuses=["validated"])
        assert answer.status_code == 400, pattern
        page = answer.get_data(as_text=True)
        assert NOT_VALID in page and reason in page, pattern
    assert db.session.execute(select(func.count(InvalidationJob.id))).scalar() == 0


def test_a_pattern_that_backtracks_in_pythons_re_matches_a_flooders_addresses_at_once() -> None:
    """With Python's re, each of these took seconds on one address of 24 letters, doubling with each
    letter more: a flood of such addresses would hold the worker for the job's whole time limit."""
    addresses = ["a" * 5_000 + "!", "w" * 60 + "." * 60 + "#@example.org", "anahit.petrosyan@example.org"]
    for pattern in ("/(a+)+$/", "/^(\\w+\\.?)+@example\\.com$/", "/^(a|aa)+$/"):
        matches = patterns.email_matcher(pattern)
        started = time.perf_counter()
        assert not any(matches(address) for address in addresses), pattern
        assert time.perf_counter() - started < 1.0, pattern
    # And they still match what they describe, in any case.
    assert patterns.email_matcher("/^(\\w+\\.?)+@example\\.org$/")("Anahit.Petrosyan@Example.ORG")
    assert patterns.email_matcher("*@EXAMPLE.org")("anahit@example.org")
