"""A long name in another script is sent as several encoded words, each within RFC 2047's 75 characters.

Names beside an address are cut to mail.service.NAME_MAX characters; in Armenian or Cyrillic (two bytes
a letter in UTF-8) that is still about 120 characters as one encoded word.
"""

from __future__ import annotations

import re
from email.policy import default
from typing import Any

import pytest

from campaign.mail import composing
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage

ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
NAMES = {
    "Armenian": ("Անահիտ Պետրոսյան-Գրիգորյան " * 8)[:200].strip(),
    "Russian": ("Анна-Мария Константиновна Петрова " * 6)[:200].strip(),
    "one long word": "Ա" * 200,
    "short": "Անի Պետրոսյան",
}


@pytest.mark.parametrize("case", NAMES)
def test_a_long_name_is_folded_into_encoded_words_a_reader_decodes_to_the_same_name(
    app: Any, case: str
) -> None:
    name = NAMES[case]
    shown = mail.display_name(name)  # cut to NAME_MAX, as every address header has it
    with app.app_context():
        content = mail.Composed(
            recipient="official@example.org",
            subject="A letter",
            body="Text.",
            sender_name=name,
            reply_to=mail.address(name, "anahit@example.org"),
        )
        sent = composing.plain(OutboxMessage(kind="test", message_id=mail.message_id_for(case)), content)
        platform = mail.platform_address()
    assert sent is not None
    lines = sent.data.split(b"\r\n")
    assert max(len(line) for line in lines) <= 78
    read = sent.read()  # email.policy.default
    for header, address in (("From", platform), ("Reply-To", "anahit@example.org")):
        value = dict(read.raw_items())[header]  # as on the wire, folded
        words = ENCODED_WORD.findall(value)
        assert all(len(word) <= 75 for word in words), (header, words)
        assert (len(words) == 1) == (case == "short"), (header, words)  # a short name stays one word
        [parsed] = read[header].addresses
        assert parsed.addr_spec == address
        # The name as RFC 2047 (6.2) reads the words: the space between two of them is not the name's.
        # (email.policy.default's address parser keeps it before Python's fix of gh-128110, so the
        # display name is read here by its unstructured parser, which drops it.)
        display = "".join(value.rsplit("<", 1)[0].splitlines()).strip()  # unfolded (RFC 5322, 2.2.3)
        assert str(default.header_factory("X-Name", display)) == shown
        assert parsed.display_name.replace(" ", "") == shown.replace(" ", "")
