"""One spelling per email domain: the flood rules count a domain once however it is written."""

from __future__ import annotations

import idna
from hypothesis import given
from hypothesis import strategies as st

from campaign.signing.email_domains import canonical_domain, domain_of


def test_a_domain_written_in_unicode_upper_case_or_with_a_final_dot_is_one_domain() -> None:
    spellings = ["Bücher.Example", "bücher.example.", "XN--BCHER-KVA.example", " xn--bcher-kva.example "]
    assert {canonical_domain(spelling) for spelling in spellings} == {"xn--bcher-kva.example"}
    assert domain_of("Anahit@Bücher.Example") == "xn--bcher-kva.example"
    assert canonical_domain("ДОМЕН.рф") == "xn--d1acufc.xn--p1ai"


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_an_ascii_domain_is_spelled_as_the_idna_codec_spells_it(domain: str) -> None:
    # The sign path skips the codec for ASCII names; it must come to the same spelling.
    name = domain.strip().rstrip(".").lower()
    try:
        expected = idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError:
        expected = name
    assert canonical_domain(domain) == expected
