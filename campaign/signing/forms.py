"""The sign form, with field names following OSDI."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

import pycountry
from email_validator import EmailNotValidError, validate_email
from flask import current_app
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
from campaign.validation import email_reason, multi_line, single_line

POSTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 \-]{0,15}$")
SOURCE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


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


@cache
def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


def known_country(_form: Any, field: Any) -> None:
    """Accept only an ISO 3166-1 alpha-2 country code."""
    if field.data not in country_codes():
        raise ValidationError(_("Please choose your country from the list."))


def strip(value: str | None) -> str | None:
    """Trim surrounding white space from what people type."""
    return value.strip() if isinstance(value, str) else value


class SignForm(FlaskForm):
    """What a supporter fills in to sign."""

    given_name = StringField(
        _l("First name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please enter your first name.")),
            Length(max=100, message=_l("Please shorten your first name to 100 characters.")),
            single_line,
        ],
    )
    family_name = StringField(
        _l("Last name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please enter your last name.")),
            Length(max=100, message=_l("Please shorten your last name to 100 characters.")),
            single_line,
        ],
    )
    email = StringField(
        _l("Email"),
        filters=[strip],
        validators=[
            DataRequired(_l("Please enter your email address.")),
            Length(max=254, message=_l("Please check your email address: it is too long.")),
        ],
    )
    # validate_choice walks all 250 choices on every request; a set lookup does the same.
    # The choices, named in the reader's language, are set per form (__init__).
    country = SelectField(
        _l("Country"),
        choices=[],
        validate_choice=False,
        validators=[DataRequired(_l("Please choose your country.")), known_country],
    )
    postal_code = StringField(
        _l("Postal code"),
        filters=[strip],
        validators=[Optional(), Length(max=16, message=_l("Please check your postal code."))],
    )
    region = StringField(
        _l("Region"),
        filters=[strip],
        validators=[Optional(), Length(max=8, message=_l("Please choose a region of your country."))],
    )
    comment = TextAreaField(
        _l("Why are you signing? (optional)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=1000, message=_l("Please shorten your comment to 1,000 characters.")),
            multi_line,
        ],
    )
    comment_public = BooleanField(consents.label("comment_public"))
    message = TextAreaField(
        _l("Your own words to the officials"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=5000, message=_l("Please shorten your words to 5,000 characters.")),
            multi_line,
        ],
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
        if field.data and not POSTAL_CODE.match(field.data):
            raise ValidationError(_("Please check your postal code."))

    def validate_region(self, field: Any) -> None:
        """Accept an ISO 3166-2 subdivision of the chosen country."""
        if not field.data:
            field.data = None
            return
        code = field.data.upper()
        subdivision = pycountry.subdivisions.get(code=code)
        if subdivision is None or subdivision.country_code != self.country.data:
            raise ValidationError(_("Please choose a region of your country."))
        field.data = code

    def to_request(
        self, *, client_address: str, is_letter: bool, is_too_fast: bool = False
    ) -> SignatureRequest:
        """The validated form as the signing service's request (is_too_fast: signing/fill_time.py)."""
        return SignatureRequest(
            given_name=self.given_name.data or "",
            family_name=self.family_name.data or "",
            email=self.email.data or "",
            country=self.country.data or "",
            postal_code=self.postal_code.data or "",
            region=self.region.data or None,
            comment=self.comment.data or None,
            is_comment_public=bool(self.comment_public.data),
            message=self.message.data or None,
            has_email_opt_in=bool(self.email_opt_in.data),
            has_reply_to_opt_in=is_letter and bool(self.reply_to_opt_in.data),
            source=self.clean_source,
            client_address=client_address,
            language=i18n.current_language(),
            is_too_fast=is_too_fast,
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
        return source if source and SOURCE.match(source) else ""


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
    try:
        config = current_app.config
        checked = validate_email(
            field.data,
            check_deliverability=config["EMAIL_CHECK_DELIVERABILITY"],
            # Such an address can be written to only over SMTPUTF8 (campaign.mail.transport).
            allow_smtputf8=bool(config["SMTPUTF8_ENABLED"]),
        )
    except EmailNotValidError as error:
        # The library's reasons are English sentences: the reader gets ours, by their kind.
        raise ValidationError(
            _("Please check your email address: %(reason)s", reason=email_reason(error))
        ) from None
    field.data = checked.normalized
