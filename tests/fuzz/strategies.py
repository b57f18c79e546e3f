"""Hostile text for the fuzz pass: what attackers and broken clients actually send."""

from __future__ import annotations

from hypothesis import strategies as st

# Values seen in real attacks and real bug reports, mixed into the generated ones.
HOSTILE = [
    "\x00",
    "Ani\x00",
    "\r\nBcc: victim@example.org",
    "<script>alert(1)</script>",
    '=HYPERLINK("https://evil.example")',
    "\ue000csrf\ue000",
    "\ue000count\ue000",
    "Minister of Defence <gov@example.org>",
    "\u200c\u200d",
    "👩🏽‍🚀",
    "Արցախ",
    "用户@example.org",
    "ünï@example.org",
    "\u202etxt.exe",
    "\ud7ff\uffff",
    "a" * 5000,
    " ",
    "",
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
)
