"""The staff form asking for an export."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from campaign import clock, i18n, labels
from campaign.exports.filters import COLUMNS, DEFAULT_COLUMNS, STATUSES
from campaign.validation import single_line

# How each choice of signatures is named on the form.
STATUS_LABELS = labels.SIGNATURE_CHOICES
# How far ahead a range may reach: no one has signed later than today, but a range for this year, typed
# in advance, reads as staff mean it. Further is a typo (9999-12-31), refused where it is typed.
LATEST_AHEAD = timedelta(days=366)


class ExportForm(FlaskForm):
    """Which campaign, which signatures, which columns, which file."""

    campaign_id = SelectField(
        lazy_gettext("Campaign"), coerce=int, validators=[DataRequired(lazy_gettext("Choose a campaign."))]
    )
    status = SelectField(
        lazy_gettext("Signatures"),
        choices=[SelectChoice(s, STATUS_LABELS.get(s, s.capitalize())) for s in STATUSES],
        default="validated",
    )
    signed_from = DateField(lazy_gettext("Signed from"), validators=[Optional()])
    signed_to = DateField(lazy_gettext("Signed until"), validators=[Optional()])
    country = StringField(
        lazy_gettext("Country (ISO code)"), validators=[Optional(), Length(min=2, max=2), single_line]
    )
    opted_in_only = BooleanField(lazy_gettext("Only signers who agreed to be contacted"))
    # Members of a campaign's partner organization export the signers who consented to it, and only
    # those (campaign.partners); the choices are the user's partner organizations, set by the route.
    partner_id = SelectField(
        lazy_gettext("Export on behalf of which organization"),
        coerce=int,
        choices=[SelectChoice(0, lazy_gettext("The campaign's own organization: every signer"))],
        default=0,
    )
    columns = SelectMultipleField(
        lazy_gettext("Columns"),
        # Named in the reader's language; the file's header row keeps the English headings.
        choices=[
            SelectChoice(name, labels.EXPORT_COLUMNS.get(name, heading))
            for name, (heading, _) in COLUMNS.items()
        ],
        default=DEFAULT_COLUMNS,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    is_excel = BooleanField(lazy_gettext("For Excel (adds a byte-order mark)"))
    is_gzip = BooleanField(lazy_gettext("Compress (gzip)"))

    def validate_signed_from(self, field: Any) -> None:
        """The range starts no later than LATEST_AHEAD from today."""
        _check_not_too_late(field)

    def validate_signed_to(self, field: Any) -> None:
        """The range ends no later than LATEST_AHEAD from today, and runs forwards."""
        _check_not_too_late(field)
        if field.data and self.signed_from.data and field.data < self.signed_from.data:
            raise ValidationError(_("The end date is before the start date."))


def _check_not_too_late(field: Any) -> None:
    """Raise a ValidationError naming the latest day a range may reach, if the field's day is after it."""
    latest = clock.now().date() + LATEST_AHEAD
    if field.data and field.data > latest:
        raise ValidationError(_("Please choose a day no later than %(day)s.", day=i18n.day(latest)))
