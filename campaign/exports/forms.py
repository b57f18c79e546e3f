"""The staff form asking for an export."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from campaign.exports.service import COLUMNS, DEFAULT_COLUMNS, STATUSES
from campaign.validation import single_line


class ExportForm(FlaskForm):
    """Which campaign, which signatures, which columns, which file."""

    campaign_id = SelectField("Campaign", coerce=int, validators=[DataRequired("Choose a campaign.")])
    status = SelectField(
        "Signatures", choices=[SelectChoice(s, s.capitalize()) for s in STATUSES], default="validated"
    )
    signed_from = DateField("Signed from", validators=[Optional()])
    signed_to = DateField("Signed until", validators=[Optional()])
    country = StringField("Country (ISO code)", validators=[Optional(), Length(min=2, max=2), single_line])
    opted_in_only = BooleanField("Only signers who agreed to be contacted")
    columns = SelectMultipleField(
        "Columns",
        choices=[SelectChoice(name, heading) for name, (heading, _) in COLUMNS.items()],
        default=DEFAULT_COLUMNS,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    is_excel = BooleanField("For Excel (adds a byte-order mark)")
    is_gzip = BooleanField("Compress (gzip)")

    def validate_signed_to(self, field: Any) -> None:
        """The range must run forwards."""
        if field.data and self.signed_from.data and field.data < self.signed_from.data:
            raise ValidationError("The end date is before the start date.")
