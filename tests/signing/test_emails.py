"""Canonical email addresses: the same person however they write their address."""

from hypothesis import given
from hypothesis import strategies as st

from campaign.signing.emails import canonical_email


def test_gmail_dots_tags_and_case_are_one_person():
    variants = [
        "Anahit.Petrosyan+artsakh@gmail.com",
        "anahitpetrosyan@GMAIL.com",
        "a.n.a.h.i.t.petrosyan@googlemail.com",
        " anahit.petrosyan+x+y@gmail.com ",
    ]
    assert {canonical_email(v) for v in variants} == {"anahitpetrosyan@gmail.com"}


def test_other_domains_lose_tags_but_keep_dots():
    assert canonical_email("First.Last+news@Example.org") == "first.last@example.org"
    assert canonical_email("first.last@example.org") != canonical_email("firstlast@example.org")


def test_an_address_that_is_only_a_tag_keeps_its_local_part():
    assert canonical_email("+news@example.org") == "+news@example.org"


@given(st.emails())
def test_canonical_form_is_stable(address):
    once = canonical_email(address)
    assert canonical_email(once) == once
    assert once == once.lower()
