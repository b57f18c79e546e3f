"""The builder's forms for a campaign's settings beyond its words: its contact email, its image's alt text
and focal point."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from campaign.accounts.service import InvalidEmail, normalized_email
from campaign.campaigns.models import ImageFocus
from campaign.validation import single_line


def alt_field() -> StringField:
    """What an image shows, for people who cannot see it: required, one line."""
    return StringField(
        lazy_gettext("What the image shows (for people who cannot see it)"),
        validators=[
            DataRequired(lazy_gettext("Please say what the image shows, for people who cannot see it.")),
            Length(max=300),
            single_line,
        ],
    )


class ImageAltForm(FlaskForm):
    """What the campaign's image shows, changed after the upload."""

    alt_text = alt_field()


class ImageFocusForm(FlaskForm):
    """What the page's banner and the share image keep in view when they crop the campaign's image."""

    focus = RadioField(
        lazy_gettext("Keep in view when the image is cropped"),
        choices=[
            SelectChoice(ImageFocus.TOP.value, lazy_gettext("The top")),
            SelectChoice(ImageFocus.CENTER.value, lazy_gettext("The middle")),
            SelectChoice(ImageFocus.BOTTOM.value, lazy_gettext("The bottom")),
        ],
        validators=[DataRequired(lazy_gettext("Please choose the part of the image to keep in view."))],
    )


class ContactForm(FlaskForm):
    """Where the campaign's notices go: milestones reached, letters that could not be delivered."""

    contact_email = StringField(
        lazy_gettext("Email for the campaign's notices"),
        validators=[
            DataRequired(lazy_gettext("Please enter an email address.")),
            Length(max=320),
            single_line,
        ],
    )

    def validate_contact_email(self, field: Any) -> None:
        """An address that can receive mail, kept in its normalized form."""
        try:
            field.data = normalized_email(field.data or "")
        except InvalidEmail as problem:
            raise ValidationError(str(problem)) from None
