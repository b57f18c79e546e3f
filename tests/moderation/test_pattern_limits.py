"""Patterns the regular expression engine cannot take are refused as not valid, never a server error."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from campaign.moderation import criteria
from campaign.moderation.criteria import CriteriaError, check_pattern
from campaign.moderation.models import InvalidationJob
from tests.moderation.test_trending import people
from tests.support.forms import post_form

__all__ = ["people"]  # the fixture

NEW = "/staff/moderation/fraud/invalidations"
NOT_VALID = "The pattern is not a valid regular expression"


def test_a_repetition_past_the_engines_limit_is_refused_as_not_valid(
    db: Any,
    people: Any,
    make_campaign: Any,
) -> None:
    make_campaign()
    for pattern in ("/a{99999999999}/", "/x{1,4294967296}@/"):
        answer = post_form(people.staff, NEW, pattern=pattern, statuses=["validated"])
        assert answer.status_code == 400, pattern
        assert NOT_VALID in answer.get_data(as_text=True), pattern
    assert db.session.execute(select(func.count(InvalidationJob.id))).scalar() == 0


def test_nesting_too_deep_for_the_parser_is_refused_as_not_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    # Within the 200 characters a pattern may have, nesting stays shallow; a longer limit must not
    # turn the parser's RecursionError into a server error.
    monkeypatch.setattr(criteria, "PATTERN_MAX_LENGTH", 10_000)
    with pytest.raises(CriteriaError, match=NOT_VALID):
        check_pattern("/" + "(" * 2000 + "a" + ")" * 2000 + "/")
