"""The sign form's rules, spelled once, and the sign POST read by them without WTForms.

The sign POST is the busiest request there is. Building a WTForms form for it
(a dozen field objects, the country list named in the reader's language, the
translations WTForms loads for itself) cost more than checking a dozen values,
so the POST is read here, by plain functions. `SignForm` (forms.py) renders the
form and shows it again with its errors; it takes its limits and messages from
here, and tests/signing/test_submission.py holds the two to the same errors
for any input. email-validator still checks and normalizes the address.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

import pycountry
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from campaign import i18n
from campaign.partners import consents as partner_consents
from campaign.signing.service import SignatureRequest
from campaign.validation import email_reason, problem

POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{0,15}$")
SOURCE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
# What a checkbox sends when it is not ticked (WTForms' BooleanField.false_values).
_FALSE = frozenset({"", "false"})


@dataclass(frozen=True)
class TextRule:
    """A text field: required (with the message) or optional, its longest length, its characters."""

    max_length: int
    too_long: LazyString
    required: LazyString | None = None
    # None: any characters (checked elsewhere, as the address is); False: one line; True: paragraphs.
    multiline: bool | None = None


RULES: dict[str, TextRule] = {
    "given_name": TextRule(
        100,
        _l("Please shorten your first name to 100 characters."),
        _l("Please enter your first name."),
        multiline=False,
    ),
    "family_name": TextRule(
        100,
        _l("Please shorten your last name to 100 characters."),
        _l("Please enter your last name."),
        multiline=False,
    ),
    "email": TextRule(
        254, _l("Please check your email address: it is too long."), _l("Please enter your email address.")
    ),
    "postal_code": TextRule(16, _l("Please check your postal code.")),
    "region": TextRule(8, _l("Please choose a region of your country.")),
    "comment": TextRule(1000, _l("Please shorten your comment to 1,000 characters."), multiline=True),
    "message": TextRule(5000, _l("Please shorten your words to 5,000 characters."), multiline=True),
}
COUNTRY_REQUIRED = _l("Please choose your country.")


@cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


def country_problem(country: str | None) -> str | None:
    """What is wrong with a chosen country (given, it must be an ISO 3166-1 alpha-2 code); None if fine."""
    return None if country in country_codes() else _("Please choose your country from the list.")


def postal_code_problem(postal_code: str | None) -> str | None:
    """Postal codes are letters, digits, spaces and dashes; None if this one is."""
    if postal_code and not POSTAL_CODE.match(postal_code):
        return _("Please check your postal code.")
    return None


def region_code(region: str, country: str | None) -> str | None:
    """A region (given) as its ISO 3166-2 code, if it is a subdivision of the country; else None."""
    code = region.upper()
    subdivision = pycountry.subdivisions.get(code=code)
    if subdivision is None or subdivision.country_code != country:
        return None
    return code


def region_problem() -> str:
    """The message for a region that is not one of the country's."""
    return _("Please choose a region of your country.")


def normalized_email(address: str) -> str:
    """An address checked (syntax, and its domain if configured) and normalized; ValidationError if not."""
    config = current_app.config
    try:
        checked = validate_email(
            address,
            check_deliverability=config["EMAIL_CHECK_DELIVERABILITY"],
            # Such an address can be written to only over SMTPUTF8 (campaign.mail.transport).
            allow_smtputf8=bool(config["SMTPUTF8_ENABLED"]),
        )
    except EmailNotValidError as error:
        # The library's reasons are English sentences: the reader gets ours, by their kind.
        raise ValidationError(
            _("Please check your email address: %(reason)s", reason=email_reason(error))
        ) from None
    return str(checked.normalized)


def plausible_source(source: str | None) -> str:
    """A source tag as given, if it looks like one; otherwise empty."""
    return source if source and SOURCE.match(source) else ""


class FormData(Protocol):
    """What a request's form is to this module (werkzeug's MultiDict)."""

    def getlist(self, key: str) -> list[str]:
        """Every value sent under a name, in order."""
        ...


@dataclass
class Submission:
    """A sign form as posted: its values, cleaned as SignForm cleans them, and its errors by field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_bot(self) -> bool:
        """Tell whether the honeypot was filled in."""
        return bool(self.values.get("website"))

    def to_request(
        self, *, client_address: str, is_letter: bool, is_too_fast: bool = False
    ) -> SignatureRequest:
        """The valid submission as the signing service's request (is_too_fast: signing/fill_time.py)."""
        return signature_request(
            self.values, client_address=client_address, is_letter=is_letter, is_too_fast=is_too_fast
        )


def signature_request(
    values: Mapping[str, Any], *, client_address: str, is_letter: bool, is_too_fast: bool = False
) -> SignatureRequest:
    """Valid sign form values (by field name) as the signing service's request."""
    return SignatureRequest(
        given_name=values.get("given_name") or "",
        family_name=values.get("family_name") or "",
        email=values.get("email") or "",
        country=values.get("country") or "",
        postal_code=values.get("postal_code") or "",
        region=values.get("region") or None,
        comment=values.get("comment") or None,
        is_comment_public=bool(values.get("comment_public")),
        message=values.get("message") or None,
        has_email_opt_in=bool(values.get("email_opt_in")),
        has_reply_to_opt_in=is_letter and bool(values.get("reply_to_opt_in")),
        partner_ids=tuple(values.get(partner_consents.FIELD) or ()),
        source=plausible_source(values.get("source")) or None,
        client_address=client_address,
        language=i18n.current_language(),
        is_too_fast=is_too_fast,
    )


def read(form: FormData) -> Submission:
    """Read and check a posted sign form by SignForm's rules, in the order SignForm checks them."""
    submission = Submission()
    raw = {name: form.getlist(name) for name in (*RULES, "country")}
    for name, rule in RULES.items():
        _check_text(submission, name, rule, raw[name])
    _check_country(submission, raw["country"])
    for name in ("comment_public", "email_opt_in", "reply_to_opt_in"):
        sent = form.getlist(name)
        submission.values[name] = bool(sent) and sent[0] not in _FALSE
    for name in ("source", "website"):
        sent = form.getlist(name)
        submission.values[name] = sent[0].strip() if sent else None
    # The partners' boxes (one per partner organization, its id as value); any other value is ignored.
    submission.values[partner_consents.FIELD] = partner_consents.ticked(form.getlist(partner_consents.FIELD))
    _check_region(submission, raw["region"])
    return submission


# Checks run after a text field's own rules, by field name (SignForm's validate_<name> methods).
_AFTER: dict[str, Callable[[str], str | None]] = {"postal_code": postal_code_problem}


def _check_text(submission: Submission, name: str, rule: TextRule, sent: list[str]) -> None:
    """One text field: present (or skipped if optional and blank), short enough, acceptable characters."""
    value = sent[0].strip() if sent else None
    submission.values[name] = value
    if rule.required is None and (not sent or not sent[0].strip()):
        return  # optional and left blank: nothing else is checked
    if rule.required is not None and not value:
        submission.errors[name] = [str(rule.required)]
        return
    errors = []
    if value and len(value) > rule.max_length:
        errors.append(str(rule.too_long))
    if rule.multiline is not None and value is not None:
        found = problem(value, multiline=rule.multiline)
        if found:
            errors.append(found)
    if name == "email" and value is not None:
        try:
            submission.values[name] = normalized_email(value)
        except ValidationError as error:
            errors.append(str(error))
    after = _AFTER.get(name)
    found = after(value or "") if after else None
    if found:
        errors.append(found)
    if errors:
        submission.errors[name] = errors


def _check_country(submission: Submission, sent: list[str]) -> None:
    """The country: chosen (not stripped, as a select sends it), and a known code."""
    country = sent[0] if sent else None
    submission.values["country"] = country
    if not country or not country.strip():
        submission.errors["country"] = [str(COUNTRY_REQUIRED)]
        return
    found = country_problem(country)
    if found:
        submission.errors["country"] = [found]


def _check_region(submission: Submission, sent: list[str]) -> None:
    """The region, once the country is read: one of the country's subdivisions, as its code."""
    region = submission.values.get("region")
    if not sent or not sent[0].strip() or not region:
        submission.values["region"] = region or None
        return
    code = region_code(region, submission.values["country"])
    if code is None:
        submission.errors.setdefault("region", []).append(region_problem())
    else:
        submission.values["region"] = code
