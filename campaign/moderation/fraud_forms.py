"""The staff forms of fraud review: the criteria of a bulk invalidation, and the button that runs it."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from campaign.moderation.criteria import PATTERN_MAX_LENGTH, STATUSES

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class InvalidationForm(FlaskForm):
    """Which signatures to invalidate: each field given narrows the match; at least one is needed."""

    address_range = StringField(
        "Address range (CIDR)", validators=[Optional(), Length(max=64)], description="203.0.113.0/24"
    )
    domain = StringField("Email domain", validators=[Optional(), Length(max=255)])
    pattern = StringField("Email pattern", validators=[Optional(), Length(max=PATTERN_MAX_LENGTH)])
    country = StringField("Country (ISO code)", validators=[Optional(), Length(min=2, max=2)])
    signed_from = DateTimeLocalField("Signed from (UTC)", format=DATETIME_FORMAT, validators=[Optional()])
    signed_to = DateTimeLocalField("Signed before (UTC)", format=DATETIME_FORMAT, validators=[Optional()])
    campaign_id = SelectField("Campaign", coerce=int, default=0)
    statuses = SelectMultipleField(
        "Signatures to invalidate",
        choices=[SelectChoice(status, status.capitalize()) for status in STATUSES],
        default=list(STATUSES),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )


class RunForm(FlaskForm):
    """Running a counted invalidation needs nothing but the button (and its CSRF token)."""
