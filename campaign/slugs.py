"""Web addresses made from names and titles in any script: 'Ճանաչե՛ք Արցախը' -> 'chanacheq-artsakhy'.

python-slugify (with text-unidecode) transliterates Cyrillic, Greek, Arabic,
Chinese and the rest readably; its Armenian is not ('chanach-e-k-arts-akhe':
aspirates become backticks that split words, and ու becomes 'ow'). So Armenian
goes through our own table first, the informal romanization Armenians type
(ք q, ց ts, ը y, ու u), with ե and ո read 'ye' and 'vo' where a word starts.
"""

# The table is Armenian text, whose letters resemble Latin ones.
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import re

from slugify import slugify as _slugify

# Lower-case Eastern Armenian letters (U+0561-U+0586) and their Latin letters, no apostrophes.
_ARMENIAN = str.maketrans(
    {
        "ա": "a", "բ": "b", "գ": "g", "դ": "d", "ե": "e", "զ": "z", "է": "e", "ը": "y",
        "թ": "t", "ժ": "zh", "ի": "i", "լ": "l", "խ": "kh", "ծ": "ts", "կ": "k", "հ": "h",
        "ձ": "dz", "ղ": "gh", "ճ": "ch", "մ": "m", "յ": "y", "ն": "n", "շ": "sh", "ո": "o",
        "չ": "ch", "պ": "p", "ջ": "j", "ռ": "r", "ս": "s", "վ": "v", "տ": "t", "ր": "r",
        "ց": "ts", "ւ": "v", "փ": "p", "ք": "q", "օ": "o", "ֆ": "f", "և": "ev",
    }
)  # fmt: skip
_LETTER = "\u0561-\u0587"
# The emphasis, exclamation, question, apostrophe and abbreviation marks sit inside words.
_WORD_MARKS = re.compile("[\u055a\u055b\u055c\u055e\u055f]")
_WORD_START = {
    re.compile(f"(?<![{_LETTER}])ե"): "ye",
    re.compile(f"(?<![{_LETTER}])ո(?!ւ)"): "vo",
    re.compile(f"(?<![{_LETTER}])և"): "yev",
}
_ARMENIAN_TEXT = re.compile(f"[\u0531-\u0556{_LETTER}]")
MAX_LENGTH = 60


def armenian_to_latin(text: str) -> str:
    """Armenian letters in the Latin ones Armenians type (other scripts are left as they are)."""
    if not _ARMENIAN_TEXT.search(text):
        return text
    text = _WORD_MARKS.sub("", text.lower())
    for pattern, latin in _WORD_START.items():
        text = pattern.sub(latin, text)
    return text.replace("ու", "u").translate(_ARMENIAN)


def slugify(text: str, fallback: str) -> str:
    """A web address of lower-case ASCII letters, digits and single dashes; `fallback` if none is left."""
    slug = _slugify(armenian_to_latin(text), max_length=MAX_LENGTH, word_boundary=True)
    return slug or fallback
