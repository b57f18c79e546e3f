"""The staff forms of fraud review: the criteria of a bulk invalidation, and the button that runs it."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from campaign import labels
from campaign.moderation.criteria import STATUSES
from campaign.moderation.patterns import PATTERN_MAX_LENGTH

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# How each status a bulk invalidation may change is named on the form.
STATUS_LABELS = labels.SIGNATURE_STATUSES


class InvalidationForm(FlaskForm):
    """Which signatures to invalidate: each field given narrows the match; at least one is needed."""

    address_range = StringField(
        lazy_gettext("Address range (CIDR)"),
        validators=[Optional(), Length(max=64)],
        description="203.0.113.0/24",
    )
    domain = StringField(lazy_gettext("Email domain"), validators=[Optional(), Length(max=255)])
    pattern = StringField(
        lazy_gettext("Email pattern"), validators=[Optional(), Length(max=PATTERN_MAX_LENGTH)]
    )
    country = StringField(lazy_gettext("Country (ISO code)"), validators=[Optional(), Length(min=2, max=2)])
    signed_from = DateTimeLocalField(
        lazy_gettext("Signed from (UTC)"), format=DATETIME_FORMAT, validators=[Optional()]
    )
    signed_to = DateTimeLocalField(
        lazy_gettext("Signed before (UTC)"), format=DATETIME_FORMAT, validators=[Optional()]
    )
    campaign_id = SelectField(lazy_gettext("Campaign"), coerce=int, default=0)
    statuses = SelectMultipleField(
        lazy_gettext("Signatures to invalidate"),
        choices=[SelectChoice(status, STATUS_LABELS.get(status, status.capitalize())) for status in STATUSES],
        default=list(STATUSES),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )


class RunForm(FlaskForm):
    """Running a counted invalidation needs nothing but the button (and its CSRF token)."""
