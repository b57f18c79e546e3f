"""Every shipped language has every message, and its translations keep the placeholders.

Run `make translations` after marking text: these tests read the template
(messages.pot) it extracts and each language's catalog.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from campaign.i18n import LANGUAGES, TRANSLATED

CATALOGS = Path(__file__).resolve().parents[2] / "campaign" / "translations"
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog(path: Path):
    """A catalog read from its .po or .pot file."""
    with path.open("rb") as file:
        return read_po(file)


def _ids(message) -> str:
    """A message's id as one string (the singular of a plural)."""
    return message.id[0] if isinstance(message.id, tuple | list) else message.id


def _all_ids(message) -> list[str]:
    """A message's singular and plural ids."""
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def _strings(message) -> list[str]:
    """Every translation of a message (each plural form)."""
    return list(message.string) if isinstance(message.string, tuple | list) else [message.string]


def test_every_translated_language_is_shipped():
    assert set(TRANSLATED) == {"hy", "fr", "ru"} and set(LANGUAGES) == {"en", "hy", "fr", "ru"}
    for language in TRANSLATED:
        catalog = _catalog(CATALOGS / language / "LC_MESSAGES" / "messages.po")
        assert str(catalog.locale) == language


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_shipped_language_has_every_message(language):
    template = _catalog(CATALOGS / "messages.pot")
    catalog = _catalog(CATALOGS / language / "LC_MESSAGES" / "messages.po")
    missing = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        if found is None or found.fuzzy or not all(s.strip() for s in _strings(found)):
            missing.append(_ids(message))
    assert missing == [], f"{language}: {len(missing)} messages lack a checked translation: {missing[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder(language):
    catalog = _catalog(CATALOGS / language / "LC_MESSAGES" / "messages.po")
    wrong = []
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        expected = set(_PLACEHOLDER.findall(" ".join(_all_ids(message))))
        for translation in _strings(message):
            # A plural form may leave the count out ("one signature"), never invent a name.
            names = set(_PLACEHOLDER.findall(translation or ""))
            if translation and not names <= expected | {"count"}:
                wrong.append((_ids(message), translation))
            if translation and (expected - {"count", "num"}) - names:
                wrong.append((_ids(message), translation))
    assert wrong == [], f"{language}: placeholders changed in {wrong[:5]}"


def test_the_consent_labels_are_the_stored_wording(app):
    """In English the form's labels are the stored words: a signer's page translates what they agreed to."""
    from campaign.signing import consents

    with app.test_request_context("/?lang=en"):
        shown = {key: str(consents.label(key)) for key in consents.TEXTS[consents.CURRENT]}
    assert shown == consents.TEXTS[consents.CURRENT]


def _make_extract_keywords() -> list[str]:
    """The -k options `make translations` gives pybabel extract (read from the Makefile, so they agree)."""
    makefile = (CATALOGS.parents[1] / "Makefile").read_text()
    recipe = makefile.split("\ntranslations:", 1)[1].split("\n\n", 1)[0]
    keywords = re.findall(r"-k (\S+)", recipe)
    assert keywords, "the Makefile's translations target names no keyword"
    return [option for keyword in keywords for option in ("-k", keyword)]


def test_messages_pot_holds_every_message_marked_in_the_code(tmp_path):
    """Text marked for translation but never extracted would reach no translator: extract afresh, compare."""
    root = CATALOGS.parents[1]
    fresh_path = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [
            str(pybabel),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            *_make_extract_keywords(),
            "-o",
            str(fresh_path),
            ".",
        ],
        cwd=root,
        check=True,
        capture_output=True,
    )
    committed = _catalog(CATALOGS / "messages.pot")
    fresh = _catalog(fresh_path)
    missing = [
        f"{_ids(message)!r} ({', '.join(f'{path}:{line}' for path, line in message.locations[:2])})"
        for message in fresh
        if message.id and committed.get(message.id, context=message.context) is None
    ]
    assert missing == [], (
        f"{len(missing)} messages marked in the code are not in messages.pot (run `make translations`):\n"
        + "\n".join(missing[:20])
    )
