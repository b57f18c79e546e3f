"""Every shipped language has every message, and its translations keep the placeholders.

Run `make translations` after marking text: these tests read the template
(messages.pot) it extracts and each language's catalog.
"""

from __future__ import annotations

import re
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
