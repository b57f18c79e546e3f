"""The OSDI filter language (a subset of OData's $filter), parsed by recursive descent and
translated to SQLAlchemy.

    expression := conjunction ("or" conjunction)*
    conjunction := term ("and" term)*
    term       := "(" expression ")" | FIELD OPERATOR value
    value      := 'quoted text' | number
    OPERATOR   := eq | ne | gt | ge | lt | le

Quotes inside a quoted value are doubled, as in OData ('O''Brien'). Which fields a collection
knows, and what a value means for each, is the collection's own map of `Field`s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, not_, or_

OPERATORS = ("eq", "ne", "gt", "ge", "lt", "le")
MAX_LENGTH = 2000
MAX_COMPARISONS = 32
MAX_DEPTH = 16
# A date is compared by its whole second (date_field): the last second of year 9999 has no next one.
LAST_MOMENT = datetime(9999, 12, 31, 23, 59, 59)
_TOKEN = re.compile(
    r"\s*(?:(?P<open>\()|(?P<close>\))|(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_/.]*))"
)


class FilterError(ValueError):
    """A filter that cannot be parsed or applied; the message says why, for the caller."""


@dataclass(frozen=True)
class Comparison:
    """`field op value`."""

    field: str
    op: str
    value: str | int | float


@dataclass(frozen=True)
class Logical:
    """`left and right`, `left or right`."""

    op: str
    left: Node
    right: Node


Node = Comparison | Logical


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    at: int


def _tokens(source: str) -> list[_Token]:
    """Split a filter into tokens, or say where it stops making sense."""
    found: list[_Token] = []
    position = 0
    while position < len(source):
        if source[position:].strip() == "":
            break
        match = _TOKEN.match(source, position)
        if match is None or match.lastgroup is None:
            snippet = source[position:].strip()[:20]
            if snippet.startswith("'"):
                raise FilterError("filter: a quoted value is not closed (write a quote inside as '')")
            raise FilterError(f"filter: cannot read {snippet!r} at character {position + 1}")
        found.append(_Token(match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup)))
        position = match.end()
    return found


class _Parser:
    """A recursive-descent parser over the tokens of one filter."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.comparisons = 0

    def _peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _keyword(self, word: str) -> bool:
        """Consume the keyword if it comes next."""
        token = self._peek()
        if token is not None and token.kind == "word" and token.text.lower() == word:
            self.index += 1
            return True
        return False

    def _next(self, expected: str) -> _Token:
        token = self._peek()
        if token is None:
            raise FilterError(f"filter: it ends where {expected} was expected")
        self.index += 1
        return token

    def parse(self) -> Node:
        """The whole filter, which must be one expression."""
        node = self._expression(0)
        extra = self._peek()
        if extra is not None:
            raise FilterError(
                f"filter: unexpected {extra.text!r} at character {extra.at + 1}; join comparisons "
                "with 'and' or 'or'"
            )
        return node

    def _expression(self, depth: int) -> Node:
        node = self._conjunction(depth)
        while self._keyword("or"):
            node = Logical("or", node, self._conjunction(depth))
        return node

    def _conjunction(self, depth: int) -> Node:
        node = self._term(depth)
        while self._keyword("and"):
            node = Logical("and", node, self._term(depth))
        return node

    def _term(self, depth: int) -> Node:
        token = self._next("a comparison")
        if token.kind == "open":
            if depth >= MAX_DEPTH:
                raise FilterError(f"filter: parentheses nest at most {MAX_DEPTH} deep")
            node = self._expression(depth + 1)
            if self._next("')'").kind != "close":
                raise FilterError("filter: a '(' is not closed")
            return node
        if token.kind != "word" or token.text.lower() in ("and", "or", *OPERATORS):
            raise FilterError(
                f"filter: expected a field name at character {token.at + 1}, not {token.text!r}"
            )
        operator = self._next("an operator (eq, ne, gt, ge, lt, le)")
        if operator.kind != "word" or operator.text.lower() not in OPERATORS:
            raise FilterError(
                f"filter: expected an operator (eq, ne, gt, ge, lt, le) after {token.text!r}, "
                f"not {operator.text!r}"
            )
        value = self._next("a value")
        self.comparisons += 1
        if self.comparisons > MAX_COMPARISONS:
            raise FilterError(f"filter: at most {MAX_COMPARISONS} comparisons")
        return Comparison(token.text, operator.text.lower(), _literal(value))


def _literal(token: _Token) -> str | int | float:
    """A quoted text or a number."""
    if token.kind == "string":
        return token.text[1:-1].replace("''", "'")
    if token.kind == "number":
        return float(token.text) if "." in token.text else int(token.text)
    raise FilterError(
        f"filter: expected a value at character {token.at + 1} (text in single quotes, e.g. '2026-01-01')"
    )


def parse(source: str) -> Node:
    """Parse a filter; FilterError says what is wrong with it."""
    if len(source) > MAX_LENGTH:
        raise FilterError(f"filter: at most {MAX_LENGTH} characters")
    tokens = _tokens(source)
    if not tokens:
        raise FilterError("filter: it is empty")
    return _Parser(tokens).parse()


@dataclass(frozen=True)
class Field:
    """A filterable field: which operators it takes and how a comparison becomes SQL."""

    compare: Callable[[str, Any], ColumnElement[bool]]
    operators: tuple[str, ...] = OPERATORS
    convert: Callable[[str | int | float], Any] = str


def to_sql(node: Node, fields: Mapping[str, Field]) -> ColumnElement[bool]:
    """The SQL condition of a parsed filter over a collection with these fields."""
    if isinstance(node, Logical):
        left, right = to_sql(node.left, fields), to_sql(node.right, fields)
        return and_(left, right) if node.op == "and" else or_(left, right)
    field = fields.get(node.field)
    if field is None:
        raise FilterError(
            f"filter: this collection cannot be filtered by {node.field!r}; it can by "
            + ", ".join(sorted(fields))
        )
    if node.op not in field.operators:
        raise FilterError(f"filter: {node.field} takes only " + ", ".join(field.operators))
    if isinstance(node.value, str) and "\x00" in node.value:
        # PostgreSQL's text holds no NUL, so no stored value can equal (or be compared with) one.
        raise FilterError(f"filter: the value compared with {node.field} holds a NUL character (\\x00)")
    return field.compare(node.op, field.convert(node.value))


def compare(expression: Any, op: str, value: Any) -> ColumnElement[bool]:
    """`expression op value` in SQL."""
    comparisons: dict[str, Callable[[], ColumnElement[bool]]] = {
        "eq": lambda: expression == value,
        "ne": lambda: expression != value,
        "gt": lambda: expression > value,
        "ge": lambda: expression >= value,
        "lt": lambda: expression < value,
        "le": lambda: expression <= value,
    }
    return comparisons[op]()


def moment(value: str | int | float) -> datetime:
    """A filter's date as naive UTC: an offset is applied, a date alone is midnight UTC. Refused out of
    range, and from the last second of year 9999 on (date_field compares up to the second after it)."""
    if not isinstance(value, str):
        raise FilterError("filter: a date is quoted, e.g. modified_date gt '2026-01-01T00:00:00Z'")
    try:
        parsed = datetime.fromisoformat(value.strip())
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    except ValueError:
        raise FilterError(
            f"filter: {value[:40]!r} is not an ISO 8601 date (e.g. '2026-12-04T14:30:09-05:00')"
        ) from None
    except OverflowError:  # its offset takes it past year 1 or year 9999
        raise FilterError(f"filter: {value[:40]!r} is outside the range of dates") from None
    if parsed >= LAST_MOMENT:
        raise FilterError(f"filter: a date must be before {LAST_MOMENT.isoformat()}Z")
    return parsed


def date_field(expression: Any) -> Field:
    """A timestamp, compared at the precision the API shows it (whole seconds) when the value has no
    fraction: `gt` a shown modified_date leaves out the record that showed it."""

    def compare_date(op: str, value: datetime) -> ColumnElement[bool]:
        if value.microsecond:
            return compare(expression, op, value)
        after = value + timedelta(seconds=1)
        within = and_(expression >= value, expression < after)
        by_second: dict[str, ColumnElement[bool]] = {
            "eq": within,
            "ne": not_(within),
            "gt": expression >= after,
            "ge": expression >= value,
            "lt": expression < value,
            "le": expression < after,
        }
        return by_second[op]

    return Field(compare_date, convert=moment)


def text(value: str | int | float) -> str:
    """A quoted text value."""
    if not isinstance(value, str):
        raise FilterError("filter: text values are quoted, e.g. title eq 'Save the river'")
    return value


def refused(reason: str) -> Field:
    """A field the collection names but cannot filter by, with the reason."""

    def refuse(_op: str, _value: Any) -> ColumnElement[bool]:
        raise FilterError(reason)

    return Field(refuse)
