"""Every `{% trans %}` block with a plural form counts with a number, in every language.

Jinja picks the plural by the `{% pluralize NAME %}` variable or, without a
name, by the first variable the `{% trans %}` tag declares. In English a
string there goes unnoticed (n == 1 is simply false), but French, Armenian and
Russian catalogs compute their plural form from it (`n > 1`, `n % 10`), and
the page answers 500: the French export and fraud pages did.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
TRANS_BLOCK = re.compile(r"\{%-?\s*trans\b(?P<args>.*?)-?%\}(?P<body>.*?)\{%-?\s*endtrans", re.S)
PLURALIZE = re.compile(r"\{%-?\s*pluralize\s*(?P<name>\w*)\s*-?%\}")
DECLARED = re.compile(r"\b(\w+)\s*=")
# The names the templates give the number a plural is chosen by.
NUMBER_NAMES = {"count", "num"}


def _plural_blocks() -> list[tuple[str, int, str]]:
    """(template, line, the variable its plural is chosen by) for every trans block with a plural."""
    found = []
    for path in sorted(TEMPLATES.rglob("*")):
        if not path.is_file() or path.suffix not in {".html", ".txt"}:
            continue
        text = path.read_text(encoding="utf-8")
        for block in TRANS_BLOCK.finditer(text):
            plural = PLURALIZE.search(block["body"])
            if plural is None:
                continue
            declared = DECLARED.findall(block["args"])
            chosen_by = plural["name"] or (declared[0] if declared else "")
            line = text.count("\n", 0, block.start()) + 1
            found.append((str(path.relative_to(TEMPLATES)), line, chosen_by))
    return found


def test_every_plural_block_is_chosen_by_its_number() -> None:
    blocks = _plural_blocks()
    assert len(blocks) > 20  # the scan sees the templates' plurals
    wrong = [
        f"{name}:{line} counts with {chosen!r}" for name, line, chosen in blocks if chosen not in NUMBER_NAMES
    ]
    assert not wrong, "name the number: {% pluralize count %}\n" + "\n".join(wrong)


def test_a_plural_counted_by_a_string_would_fail_in_french(app: Flask) -> None:
    """What the rule above prevents, shown on the real Jinja environment and French catalog."""
    from flask_babel import force_locale

    with app.test_request_context("/"), force_locale("fr"):
        environment = app.jinja_env
        good = environment.from_string(
            "{% trans state='x', count=2 %}{{ state }} {{ count }} row{% pluralize count %}"
            "{{ state }} {{ count }} rows{% endtrans %}"
        )
        assert good.render() == "x 2 rows"
        bad = environment.from_string(
            "{% trans state='x', count=2 %}{{ state }} {{ count }} row{% pluralize %}"
            "{{ state }} {{ count }} rows{% endtrans %}"
        )
        with pytest.raises(TypeError):
            bad.render()
