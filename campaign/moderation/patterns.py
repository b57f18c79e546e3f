"""The patterns staff match supporters' addresses with: a glob on the whole address ("*@mailinator.*"),
or a regular expression between slashes searched in it; both ignore case.

They run in the worker over every opened address of a bulk invalidation, addresses a flooder may
have written to be slow to match. Regular expressions are compiled by RE2, which runs in time
linear in the address whatever the pattern: Python's re may take minutes to find that /(a+)+$/ or
/^(\\w+\\.?)+@/ does not match one such address. RE2 has no look-around or back-reference, which an
address pattern does not need; a pattern using one is refused where it is typed.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import Any

import re2
from flask_babel import gettext

PATTERN_MAX_LENGTH = 200


def problem(pattern: str) -> str | None:
    """Why the pattern cannot be used, for the person who typed it; None if it can (or is empty)."""
    if len(pattern) > PATTERN_MAX_LENGTH:
        return gettext("The pattern is too long (at most %(count)s characters).", count=PATTERN_MAX_LENGTH)
    if _is_regex(pattern):
        try:
            _regex(pattern[1:-1])
        except re2.error as error:
            reason = error.args[0].decode(errors="replace") if error.args else ""
            return gettext("The pattern is not a valid regular expression: %(error)s.", error=reason)
    return None


def email_matcher(pattern: str) -> Callable[[str], bool]:
    """A test of an address against a pattern `problem` found nothing wrong with."""
    if _is_regex(pattern):
        regex = _regex(pattern[1:-1])
        return lambda email: regex.search(email) is not None
    # fnmatch's translation of a glob to a regex, anchored at both ends (made so as not to backtrack).
    glob = re.compile(fnmatch.translate(pattern.casefold()))
    return lambda email: glob.match(email.casefold()) is not None


def _regex(body: str) -> Any:
    """A regular expression compiled by RE2, ignoring case (an address is the same in any case)."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False  # a pattern refused is told to staff, not written to the log
    return re2.compile(body, options)


def _is_regex(pattern: str) -> bool:
    """Whether the pattern is a regular expression (written between slashes)."""
    return len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/")
