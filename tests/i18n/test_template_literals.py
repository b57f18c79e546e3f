"""Every word a reader sees in a template goes through the catalogs: no untranslated literal.

Each template is cut by Jinja's own lexer; the text between its tags (data
tokens outside {% trans %} blocks) and the human-readable attributes (alt,
title, placeholder, aria-label) must hold no letter, except the names in
ALLOWED, which are the same in every language.

To check more templates, add their patterns to CHECKED and run
`.venv/bin/pytest -q tests/i18n/test_template_literals.py`.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

# Every template: each word a person reads must be translatable.
CHECKED = ["*.html", "**/*.html", "**/*.txt"]

# Text that must not be translated, and why.
ALLOWED = {
    "WhatsApp": "a brand name, written the same in every language",
    "Telegram": "a brand name, written the same in every language",
    "Facebook": "a brand name, written the same in every language",
    "X": "a brand name (the network formerly called Twitter)",
    "UTC": "the international name of the time zone",
}

_LETTER = re.compile(r"[^\W\d_]")
_READABLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description"}
# What stands for an expression, a tag or a translated block once the template is flattened.
_GAP = "\u2063"


def checked_templates() -> list[str]:
    """The templates under test, as paths relative to templates/."""
    found = {str(path.relative_to(TEMPLATES)) for pattern in CHECKED for path in TEMPLATES.glob(pattern)}
    return sorted(found)


def _flattened(source: str) -> str:
    """The template as a document: its literal text kept, everything Jinja writes or translates as a gap.

    Line breaks are kept so that the HTML parser's positions are the template's lines.
    """
    env = Environment(extensions=["jinja2.ext.i18n"])
    parts: list[str] = []
    depth = 0  # inside {% trans %} ... {% endtrans %}
    tag_name_next = False
    for _lineno, kind, value in env.lex(source):
        if kind == "block_begin":
            tag_name_next = True
        elif tag_name_next and kind == "name":
            depth += {"trans": 1, "endtrans": -1}.get(value, 0)
            tag_name_next = False
        if kind == "data" and depth == 0:
            parts.append(value)
        else:
            parts.append(_GAP + "\n" * value.count("\n"))
    return "".join(parts)


class _Readable(HTMLParser):
    """Collects the text a reader sees: element text and the readable attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []

    def _keep(self, text: str | None) -> None:
        """Keep a text's words that hold a letter and are not allowed as they are."""
        words = [
            word
            for word in (text or "").replace(_GAP, " ").split()
            if _LETTER.search(word) and word.strip(".,:;()“”\"'") not in ALLOWED
        ]
        if words:
            self.found.append((self.getpos()[0], " ".join(words)))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Readable attributes are text too."""
        for name, value in attrs:
            if name in _READABLE_ATTRIBUTES:
                self._keep(value)

    def handle_data(self, data: str) -> None:
        """Text between tags."""
        self._keep(data)


# Keyword arguments of form fields whose values are markup, not text.
_MARKUP_ARGUMENTS = {("name", "class_"), ("name", "id"), ("name", "autocomplete"), ("name", "inputmode")}

# Functions whose string argument is a message of the catalogs.
_GETTEXT = {"_", "gettext", "ngettext", "pgettext", "npgettext"}


def _prose_strings(source: str) -> list[tuple[int, str]]:
    """Quoted strings in expressions that read as prose ('Sign this petition') and are not passed to _()."""
    env = Environment(extensions=["jinja2.ext.i18n"])
    found = []
    previous: list[tuple[str, str]] = [("", "")] * 4
    callers = {("name", f) for f in _GETTEXT}
    for lineno, kind, value in env.lex(source):
        if kind == "string" and " " in value.strip() and _LETTER.search(value):
            called = previous[-1] == ("operator", "(") and previous[-2] in callers
            # pgettext("context", "message"): the message follows the context.
            called = called or (
                previous[-1] == ("operator", ",")
                and previous[-2][0] == "string"
                and previous[-3] == ("operator", "(")
                and previous[-4] in {("name", "pgettext"), ("name", "npgettext")}
            )
            # class_='button primary': CSS class names, never read by a person.
            is_markup = previous[-1] == ("operator", "=") and previous[-2] in _MARKUP_ARGUMENTS
            if not (called or is_markup):
                found.append((lineno, value[1:-1]))
        if kind != "whitespace":
            previous = [*previous[1:], (kind, value)]
    return found


def untranslated(source: str) -> list[tuple[int, str]]:
    """The (line, words) of every readable literal outside a trans block, and prose in expressions."""
    parser = _Readable()
    parser.feed(_flattened(source))
    parser.close()
    return sorted(parser.found + _prose_strings(source))


@pytest.mark.parametrize("name", checked_templates())
def test_a_template_holds_no_untranslated_words(name):
    literals = untranslated((TEMPLATES / name).read_text())
    assert literals == [], f"{name}: mark these for translation ({{% trans %}} or _()): {literals}"


def test_the_checker_finds_a_literal_and_accepts_marked_text():
    source = (
        '<p>{% trans %}Sign here{% endtrans %}</p>\n<a href="{{ url }}" title="Open it">WhatsApp</a>'
        "\n<h2>Share this</h2>\n{{ 'A petition' if x else _('A letter') }}"
    )
    assert untranslated(source) == [(2, "Open it"), (3, "Share this"), (4, "A petition")]
