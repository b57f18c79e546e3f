"""What every text field accepts: the characters people write, never the ones that break storage or pages.

Shared by every form and by the API: NUL (which PostgreSQL cannot store),
other control characters, lone surrogates (a JSON body can carry them),
private-use characters (the campaign page's skeleton marks its per-request
parts with them) and non-characters are refused with a message that names
the character. Format characters stay allowed: the zero-width non-joiner of
Persian names, the joiner and tags of emoji sequences, direction marks.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from email_validator import EmailNotValidError, EmailUndeliverableError
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

# The last page a list shows (?page=): an OFFSET far past it would only cost the database.
MAX_PAGE = 10_000
# Line breaks and tabs are text in a paragraph, not in a name or a subject.
_MULTI_LINE_ALLOWED = frozenset("\n\r\t")
# Categories never accepted: control, surrogate, private use. Line and
# paragraph separators (Zl, Zp) only where lines are.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Co"})
_LINE_CATEGORIES = frozenset({"Zl", "Zp"})
# A web or email address inside a name shown in email (an organization's, a user's).
_LINK = re.compile(
    r"://|@|\bwww\.|\b[^\W_](?:[\w-]*[^\W_])?\.(?:[a-z]{2,24}|xn--[a-z0-9-]+)\b",
    re.IGNORECASE,
)


def _is_noncharacter(ch: str) -> bool:
    """U+FDD0..U+FDEF and the last two code points of every plane: never text."""
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def refused_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character a text field must refuse, or None if every one is acceptable."""
    for ch in text:
        # The common case, checked fast (non-characters are not printable either).
        if ch.isprintable() or (multiline and ch in _MULTI_LINE_ALLOWED):
            continue
        category = unicodedata.category(ch)
        if category in _REFUSED_CATEGORIES or _is_noncharacter(ch):
            return ch
        if category in _LINE_CATEGORIES and not multiline:
            return ch
    return None


_KINDS = {
    "Cc": _l("a control character"),
    "Cs": _l("half of a broken character"),
    "Co": _l("a private-use character"),
    "Zl": _l("a line separator"),
    "Zp": _l("a paragraph separator"),
}


def describe(ch: str) -> str:
    """A refused character as people can look it up: 'U+0000 (a control character)'."""
    kind = _("a line break") if ch in "\n\r" else _KINDS.get(unicodedata.category(ch), _l("not a character"))
    return f"U+{ord(ch):04X} ({kind})"


def problem(text: str | None, *, multiline: bool = False) -> str | None:
    """What is wrong with a text's characters, in words for the person who typed it; None if nothing."""
    ch = refused_character(text or "", multiline=multiline)
    if ch is None:
        return None
    return _(
        "This text contains a character we cannot accept: %(character)s. Please remove it.",
        character=describe(ch),
    )


class PlainText:
    """A WTForms validator: refuse control, private-use and non-characters (and line breaks if one line)."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, _form: Any, field: Any) -> None:
        """Raise a ValidationError naming the first character that cannot be accepted."""
        if isinstance(field.data, str):
            found = problem(field.data, multiline=self.multiline)
            if found:
                raise ValidationError(found)


# One-line fields (names, titles, subjects, addresses) and paragraphs.
single_line = PlainText()
multi_line = PlainText(multiline=True)


def whole_number(raw: str, *, digits: int = 9) -> int | None:
    """The number written in ASCII digits (at most `digits` of them), or None for anything else.

    Not str.isdigit() alone: it takes superscripts such as "²", which int()
    refuses, and other scripts' digits. Nine digits keep an id within what an
    integer column holds.
    """
    return int(raw) if 0 < len(raw) <= digits and raw.isascii() and raw.isdigit() else None


def page_number(args: Any) -> int:
    """The page of a list a request asked for (?page=): 1 to 10,000, whatever it says."""
    asked = whole_number(str(args.get("page", ""))) or 1
    return max(1, min(asked, MAX_PAGE))


# Angle brackets with no compatibility form to '<' or '>' that still read as them beside an address.
_ANGLE_LOOKALIKES = frozenset("\u2039\u203a\u2329\u232a\u27e8\u27e9\u276c\u276d\u276e\u276f\u3008\u3009")


def reads_as_address_mark(ch: str) -> bool:
    """Tell whether a character reads as '<', '>' or '@': those, their fullwidth and small forms
    (U+FF1C, U+FE6B), other angle brackets. A name beside an address must not hold one, or it can
    pose as an address ("President <info@president.am>" written in fullwidth forms)."""
    if ch.isascii():
        return ch in "<>@"
    return ch in _ANGLE_LOOKALIKES or any(mark in unicodedata.normalize("NFKC", ch) for mark in "<>@")


def no_links(_form: Any, field: Any) -> None:
    """Refuse web and email addresses in a name that email shows to others (organizations, people),
    also when written with fullwidth or other compatibility forms (U+FF20 for '@', U+FF0E for '.')."""
    if isinstance(field.data, str) and _LINK.search(unicodedata.normalize("NFKC", field.data)):
        raise ValidationError(_("Please write the name without web or email addresses in it."))


# Why email-validator refused an address, in our words: its own reasons are English sentences.
# Each is the end of "Please check your email address: ..." (or "... the email address: ...").
# Matched on the library's wording, in order, first match wins (email-validator 2.x).
_EMAIL_SYNTAX_REASONS: tuple[tuple[tuple[str, ...], LazyString], ...] = (
    (
        ("internationalized characters before the @-sign",),
        _l("we can write only to addresses with Latin letters, digits and punctuation before the @."),
    ),
    (("too long",), _l("it is too long.")),
    (
        ("special-use or reserved name",),
        _l("the part after the @ is a reserved name that cannot receive email."),
    ),
    (
        ("must have an @-sign", "at-sign"),
        _l("it needs one @ between the name and the domain, as in name@example.org."),
    ),
    (("something before the @-sign",), _l("something is missing before the @.")),
    (
        ("something after the @-sign", "after the @-sign", "top-level domain", "idna"),
        _l("the part after the @ is not a domain name, such as example.org."),
    ),
)
_EMAIL_CHARACTERS = _l("it has a character or punctuation mark an email address cannot have there.")
_EMAIL_SYNTAX = _l("it is not written as an email address is, such as name@example.org.")
_EMAIL_NO_DOMAIN = _l("its domain does not exist. Is it spelled right?")
_EMAIL_NO_MAIL = _l("its domain does not receive email.")
_EMAIL_UNCHECKED = _l("we could not check its domain just now. Please try again in a moment.")


def email_reason(error: EmailNotValidError) -> str:
    """Why an address was refused, in the reader's language, by the kind of email-validator's reason."""
    said = str(error).lower()
    if isinstance(error, EmailUndeliverableError):
        if "does not exist" in said:
            return str(_EMAIL_NO_DOMAIN)
        if "does not accept email" in said or "does not send email" in said:
            return str(_EMAIL_NO_MAIL)
        return str(_EMAIL_UNCHECKED)
    for markers, reason in _EMAIL_SYNTAX_REASONS:
        if any(marker in said for marker in markers):
            return str(reason)
    if "character" in said or "period" in said or "hyphen" in said or "quote" in said:
        return str(_EMAIL_CHARACTERS)
    return str(_EMAIL_SYNTAX)
