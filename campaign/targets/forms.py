"""Reading what a signer typed so far into the sign form, for the letter preview."""

from __future__ import annotations

import pycountry
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from campaign.signing.forms import SignForm
from campaign.validation import single_line


class OfficialsQuery(FlaskForm):
    """Which officials a signer from a country and region would write to (a GET, no CSRF)."""

    class Meta:
        csrf = False

    country = StringField(validators=[DataRequired(), Regexp(r"^[A-Za-z]{2}$")])
    region = StringField(validators=[Optional(), Length(max=8), single_line])

    def validate_country(self, field: StringField) -> None:
        """Accept an ISO 3166-1 alpha-2 code."""
        if pycountry.countries.get(alpha_2=(field.data or "").upper()) is None:
            raise ValidationError(_("Unknown country."))
        field.data = (field.data or "").upper()

    def validate_region(self, field: StringField) -> None:
        """Accept an ISO 3166-2 subdivision of the country, or nothing."""
        if not field.data:
            field.data = None
            return
        subdivision = pycountry.subdivisions.get(code=field.data.upper())
        if subdivision is None or subdivision.country_code != (self.country.data or "").upper():
            raise ValidationError(_("Unknown region."))
        field.data = field.data.upper()


class ResumeForm(FlaskForm):
    """Staff lift the pause of an official's address: corrected, if a new one is given; with the letters
    that never arrived sent again, if asked."""

    new_email = StringField(
        lazy_gettext("Correct address (leave empty to keep it)"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[Optional(), Length(max=320), single_line],
    )
    resend = BooleanField(lazy_gettext("Also send the letters that bounced or that the pause stopped"))


def signer_fields(form: SignForm) -> dict[str, str | None]:
    """The letter's signer fields as typed so far; None for what is still empty or invalid."""
    errors = form.errors if isinstance(form.errors, dict) else {}

    def value(name: str) -> str | None:
        data = getattr(form, name).data
        return data if isinstance(data, str) and data and name not in errors else None

    return {
        name: value(name)
        for name in ("given_name", "family_name", "country", "region", "postal_code", "message")
    }
