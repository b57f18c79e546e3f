"""Cells a spreadsheet shows rather than runs: the one rule for every CSV file the platform writes.

A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` (and some
read a tab, a carriage return or a NUL the same way) as a formula, so a
signer's name could compute, or fetch, anything. Every text cell of a CSV
file meant for people (exports, letter digests) gets a leading quote instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

# A spreadsheet runs a cell beginning with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
# Each start is one character, so a set of first characters tells them apart faster than startswith.
_FORMULA_FIRST = frozenset(FORMULA_STARTS)


def defused_column(values: list[Any]) -> list[Any]:
    """A column of text cells (None or empty allowed), each one a spreadsheet will show rather than run."""
    # One comprehension for a whole column: a call per cell would cost an export more than its crypto.
    return [("'" + value) if value and value[0] in _FORMULA_FIRST else value for value in values]


def defused(text: str) -> str:
    """Text a spreadsheet will show rather than run as a formula."""
    return str(defused_column([text])[0])


def inert(value: object) -> object:
    """A cell value a spreadsheet will show rather than run: text defused, a time in whole seconds."""
    if isinstance(value, str):
        return defused(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return value
