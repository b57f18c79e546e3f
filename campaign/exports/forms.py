"""The staff form asking for an export."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from campaign import labels
from campaign.exports.filters import COLUMNS, DEFAULT_COLUMNS, STATUSES
from campaign.validation import single_line

# How each choice of signatures is named on the form.
STATUS_LABELS = labels.SIGNATURE_CHOICES


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

    def validate_signed_to(self, field: Any) -> None:
        """The range must run forwards."""
        if field.data and self.signed_from.data and field.data < self.signed_from.data:
            raise ValidationError(_("The end date is before the start date."))
