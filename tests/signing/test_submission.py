"""The sign POST is read without WTForms (campaign/signing/submission.py): the same rules, the same words."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from campaign.signing import submission
from campaign.signing.forms import SignForm
from tests.fuzz.strategies import hostile_text

TEXT_FIELDS = ("given_name", "family_name", "email", "postal_code", "region", "comment", "message")
CHECKBOXES = ("comment_public", "email_opt_in", "reply_to_opt_in")
# Values that sit on the rules' edges, beside anything hypothesis writes.
EDGES = {
    "email": st.sampled_from(["anahit@example.org", "Anahit.P+x@Gmail.com", "a@b", "no-at-sign", " "]),
    "country": st.sampled_from(["AM", "am", " AM", "US", "XX", "", " ", "FR"]),
    "region": st.sampled_from(["", " ", "AM-ER", "am-er", "US-MN", "ER", "toolongregion"]),
    "postal_code": st.sampled_from(["0010", "  ", "SW1A 1AA", "-12", "1" * 17, "ab_c"]),
    "given_name": st.sampled_from(["", " ", "Anahit", "A" * 101, "Ani\nhit", "A" * 101 + "\x00"]),
    "comment": st.sampled_from(["", "x" * 1001, "line\nbreak", "x" * 1001 + "\x01"]),
}
# A form that passes, each of whose values the test may keep or replace.
VALID_FORM = {
    "given_name": "Anahit",
    "family_name": "Petrosyan",
    "email": "anahit@example.org",
    "country": "AM",
}
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)


def _as_text(errors: dict[str, list[Any]]) -> dict[str, list[str]]:
    """A form's errors as the reader sees them: lazy messages made into text."""
    return {name: [str(error) for error in messages] for name, messages in errors.items()}


def _field(name: str) -> st.SearchStrategy[list[str]]:
    """No value, one, or two (the first counts) for a field."""
    value = st.one_of(EDGES[name], hostile_text) if name in EDGES else hostile_text
    return st.lists(value, max_size=2)


@given(
    texts=st.fixed_dictionaries(
        {
            name: st.one_of(st.just([value]), st.just([value]), _field(name))
            for name, value in VALID_FORM.items()
        },
        optional={name: _field(name) for name in (*TEXT_FIELDS, "country") if name not in VALID_FORM},
    ),
    ticks=st.fixed_dictionaries(
        {},
        optional={
            name: st.lists(st.sampled_from(["y", "", "false", "on"]), max_size=1) for name in CHECKBOXES
        },
    ),
    source=st.lists(st.sampled_from(["whatsapp", " mail ", "bad source!", ""]), max_size=1),
    website=st.lists(st.sampled_from(["", " ", "http://spam.example"]), max_size=1),
)
@FUZZ
def test_the_sign_post_is_judged_exactly_as_the_form_judges_it(
    app: Any, texts: dict[str, list[str]], ticks: dict[str, list[str]], source: list[str], website: list[str]
) -> None:
    posted = MultiDict([(name, value) for name, values in {**texts, **ticks}.items() for value in values])
    posted.setlist("source", source)
    posted.setlist("website", website)
    with app.test_request_context("/campaigns/x/sign", method="POST", data=posted):
        form = SignForm(meta={"csrf": False})
        is_valid = form.validate()
        read = submission.read(posted)
        assert read.errors == _as_text(form.errors), posted
        assert read.is_bot == form.is_bot
        if is_valid:
            arguments = {"client_address": "192.0.2.1", "is_letter": True, "is_too_fast": False}
            assert read.to_request(**arguments) == form.to_request(**arguments)
            event("valid")


def test_a_refused_sign_post_shows_the_form_again_with_its_errors_by_field(
    client: Any, make_campaign: Any
) -> None:
    make_campaign(slug="lean")
    answer = client.post(
        "/campaigns/lean/sign",
        data={"given_name": "", "family_name": "P" * 101, "email": "not an address", "country": "XX"},
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Please enter your first name." in page
    assert "Please shorten your last name to 100 characters." in page
    assert "Please check your email address:" in page
    assert "Please choose your country from the list." in page
    # What was typed is shown again, so that only the mistakes need fixing.
    assert 'value="not an address"' in page
    assert "Set-Cookie" not in answer.headers


def test_an_accepted_signature_builds_no_form_and_opens_no_session(
    client: Any, make_campaign: Any, monkeypatch: Any
) -> None:
    """The busiest request stays lean: what WTForms and the session cost is paid only to show errors."""
    make_campaign(slug="lean-path")
    built: list[object] = []
    original = SignForm.__init__

    def counted(self: SignForm, *args: Any, **kwargs: Any) -> None:
        built.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(SignForm, "__init__", counted)
    answer = client.post(
        "/campaigns/lean-path/sign",
        data={"given_name": "Anahit", "family_name": "P", "email": "lean@example.org", "country": "AM"},
    )
    assert answer.status_code == 303
    assert built == []
    assert "Set-Cookie" not in answer.headers
