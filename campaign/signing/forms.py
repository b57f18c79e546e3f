"""The sign form, with field names following OSDI."""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any

import pycountry
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from campaign import i18n
from campaign.signing import consents
from campaign.signing.service import SignatureRequest
from campaign.signing.submission import (
    COUNTRY_REQUIRED,
    POSTAL_CODE,
    RULES,
    SOURCE,
    country_codes,
    country_problem,
    normalized_email,
    plausible_source,
    postal_code_problem,
    region_code,
    region_problem,
    signature_request,
)
from campaign.validation import multi_line, single_line

__all__ = ["POSTAL_CODE", "SOURCE", "MyLinkForm", "SignForm", "checked_email", "country_codes", "strip"]


def _sort_key(name: str) -> str:
    """A name as it is looked up in a list: accents and case aside (Égypte beside Egypte)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@cache
def country_choices(language: str = i18n.DEFAULT_LANGUAGE) -> list[SelectChoice]:
    """Every ISO 3166-1 country as a choice of its alpha-2 code, named and sorted in a language."""
    named = [(i18n.country_name_in(c.alpha_2, language), c.alpha_2) for c in pycountry.countries]
    named.sort(key=lambda pair: _sort_key(pair[0]))
    return [SelectChoice(code, name) for name, code in named]


def known_country(_form: Any, field: Any) -> None:
    """Accept only an ISO 3166-1 alpha-2 country code."""
    found = country_problem(field.data)
    if found:
        raise ValidationError(found)


def strip(value: str | None) -> str | None:
    """Trim surrounding white space from what people type."""
    return value.strip() if isinstance(value, str) else value


def _checks(name: str) -> list[Any]:
    """A text field's validators, from its rule in campaign/signing/submission.py."""
    rule = RULES[name]
    first = Optional() if rule.required is None else DataRequired(rule.required)
    characters = [] if rule.multiline is None else [multi_line if rule.multiline else single_line]
    return [first, Length(max=rule.max_length, message=rule.too_long), *characters]


class SignForm(FlaskForm):
    """What a supporter fills in to sign: shown on the campaign page, and again with its errors.

    Its rules are campaign/signing/submission.py's, which reads the sign POST itself.
    """

    given_name = StringField(_l("First name"), filters=[strip], validators=_checks("given_name"))
    family_name = StringField(_l("Last name"), filters=[strip], validators=_checks("family_name"))
    email = StringField(_l("Email"), filters=[strip], validators=_checks("email"))
    # validate_choice walks all 250 choices on every request; a set lookup does the same.
    # The choices, named in the reader's language, are set per form (__init__).
    country = SelectField(
        _l("Country"),
        choices=[],
        validate_choice=False,
        validators=[DataRequired(COUNTRY_REQUIRED), known_country],
    )
    postal_code = StringField(_l("Postal code"), filters=[strip], validators=_checks("postal_code"))
    region = StringField(_l("Region"), filters=[strip], validators=_checks("region"))
    comment = TextAreaField(
        _l("Why are you signing? (optional)"), filters=[strip], validators=_checks("comment")
    )
    comment_public = BooleanField(consents.label("comment_public"))
    message = TextAreaField(
        _l("Your own words to the officials"), filters=[strip], validators=_checks("message")
    )
    email_opt_in = BooleanField(consents.label("email_opt_in"))
    # Letter campaigns only: unchecked, the officials never see the signer's address.
    reply_to_opt_in = BooleanField(consents.label("reply_to_opt_in"))
    source = HiddenField(filters=[strip])
    # Left empty by people, who never see it; filled in by many bots.
    website = StringField(_l("Leave this field empty"), filters=[strip])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The form, its country list named in the reader's language."""
        super().__init__(*args, **kwargs)
        language = i18n.current_language()
        self.country.choices = [
            SelectChoice("", _("Choose your country")),
            *country_choices(language),
        ]

    def validate_email(self, field: Any) -> None:
        """Check the address's syntax (and, if configured, its domain) and normalize it."""
        checked_email(field)

    def validate_postal_code(self, field: Any) -> None:
        """Accept the letters, digits, spaces and dashes postal codes are made of."""
        found = postal_code_problem(field.data)
        if found:
            raise ValidationError(found)

    def validate_region(self, field: Any) -> None:
        """Accept an ISO 3166-2 subdivision of the chosen country."""
        if not field.data:
            field.data = None
            return
        code = region_code(field.data, self.country.data)
        if code is None:
            raise ValidationError(region_problem())
        field.data = code

    def to_request(
        self, *, client_address: str, is_letter: bool, is_too_fast: bool = False
    ) -> SignatureRequest:
        """The validated form as the signing service's request (is_too_fast: signing/fill_time.py)."""
        return signature_request(
            self.data, client_address=client_address, is_letter=is_letter, is_too_fast=is_too_fast
        )

    @property
    def is_bot(self) -> bool:
        """Tell whether the honeypot was filled in."""
        return bool(self.website.data)

    @property
    def clean_source(self) -> str | None:
        """The campaign link's source tag, if it is a plausible one."""
        return self.plausible_source(self.source.data) or None

    @staticmethod
    def plausible_source(source: str | None) -> str:
        """A source tag as given, if it looks like one; otherwise empty."""
        return plausible_source(source)


class MyLinkForm(FlaskForm):
    """Ask for the link to one's own page."""

    email = EmailField(
        _l("Your email address"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please give your email address.")),
            Length(max=320, message=_l("Please check your email address: it is too long.")),
        ],
    )

    def validate_email(self, field: Any) -> None:
        """The same check as the sign form's."""
        checked_email(field)


def checked_email(field: Any) -> None:
    """Check an address's syntax (and, if configured, its domain) and normalize it, or say what is wrong."""
    field.data = normalized_email(field.data)
