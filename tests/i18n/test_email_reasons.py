"""A refused email address is explained in our words, in the reader's language, not email-validator's English.

email-validator says why it refused an address in English sentences ("An
email address must have an @-sign."). The sign form and the account forms
put our own reason, by its kind, inside their translated sentence.
"""

from __future__ import annotations

from typing import Any

import pytest
from email_validator import EmailNotValidError, EmailUndeliverableError, validate_email
from flask_babel import gettext
from markupsafe import escape

from campaign.accounts.service import InvalidEmail, normalized_email
from campaign.validation import email_reason
from tests.support.forms import csrf_token

LIBRARY_SAYS = "An email address must have an @-sign."


def refusal(address: str) -> EmailNotValidError:
    """What email-validator raises for an address (syntax only: no DNS here)."""
    with pytest.raises(EmailNotValidError) as raised:
        validate_email(address, check_deliverability=False)
    return raised.value


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("anahit.example.org", "it needs one @ between the name and the domain, as in name@example.org."),
        ("@example.org", "something is missing before the @."),
        ("anahit@", "the part after the @ is not a domain name, such as example.org."),
        ("anahit@example", "the part after the @ is not a domain name, such as example.org."),
        (
            "ana..hit@example.org",
            "it has a character or punctuation mark an email address cannot have there.",
        ),
        ("ana hit@example.org", "it has a character or punctuation mark an email address cannot have there."),
        ("a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 63, "org"]), "it is too long."),
        ("anahit@example.invalid", "the part after the @ is a reserved name that cannot receive email."),
    ],
)
def test_each_kind_of_syntax_error_has_our_reason(app: Any, address: str, reason: str) -> None:
    with app.test_request_context("/?lang=en"):
        assert email_reason(refusal(address)) == reason


def test_a_domain_without_mail_has_our_reason(app: Any) -> None:
    # The sentences email-validator's deliverability check raises (the tests have no DNS to ask).
    with app.test_request_context("/?lang=en"):
        missing = EmailUndeliverableError("The domain name nowhere.example does not exist.")
        assert email_reason(missing) == "its domain does not exist. Is it spelled right?"
        null_mx = EmailUndeliverableError("The domain name example.com does not accept email.")
        assert email_reason(null_mx) == "its domain does not receive email."
        broken = EmailUndeliverableError("There was an error while checking if the domain name ...: boom")
        assert email_reason(broken) == "we could not check its domain just now. Please try again in a moment."


def test_the_sign_form_in_french_explains_a_bad_address_in_our_words(
    app: Any, db: Any, client: Any, make_campaign: Any
) -> None:
    make_campaign(slug="recognize")
    page = client.get("/campaigns/recognize?lang=fr").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(page),
        "given_name": "Anahit",
        "family_name": "Petrosyan",
        "email": "anahit.example.org",
        "country": "AM",
        "postal_code": "0010",
    }
    answer = client.post("/campaigns/recognize/sign?lang=fr", data=form)
    assert answer.status_code == 400
    shown = answer.get_data(as_text=True)
    with app.test_request_context("/?lang=fr"):
        ours = gettext(
            "Please check your email address: %(reason)s",
            reason=gettext("it needs one @ between the name and the domain, as in name@example.org."),
        )
    assert str(escape(ours)) in shown
    assert ours.startswith("Veuillez")  # the sentence around the reason is French already
    assert LIBRARY_SAYS not in shown and "@-sign" not in shown


def test_the_account_forms_explain_a_bad_address_in_our_words(app: Any) -> None:
    with app.test_request_context("/?lang=fr"):
        with pytest.raises(InvalidEmail) as raised:
            normalized_email("not an address")
        said = str(raised.value)
        reason = str(email_reason(refusal("not an address")))
    assert "@-sign" not in said and "email address" not in said.split(":", 1)[0]
    # Our own reason, in French, after the form's French lead-in.
    assert said.startswith("Veuillez") and said.endswith(reason) and "nom@example.org" in reason
