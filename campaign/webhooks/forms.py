"""The owner's form registering a webhook endpoint."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from campaign.validation import single_line
from campaign.webhooks.models import (
    OUTREACH_SENT,
    SIGNATURE_ADDED,
    SIGNATURE_CONFIRMED,
    SIGNATURE_WITHDRAWN,
)
from campaign.webhooks.service import URL_MAX

# How each event is named on the page.
EVENT_LABELS = {
    SIGNATURE_ADDED: lazy_gettext("A signature is added (not yet confirmed)"),
    SIGNATURE_CONFIRMED: lazy_gettext("A signature is confirmed"),
    SIGNATURE_WITHDRAWN: lazy_gettext("A signature is withdrawn"),
    OUTREACH_SENT: lazy_gettext("A letter is sent to an official"),
}


class EndpointForm(FlaskForm):
    """Where to post, and which events."""

    url = StringField(
        lazy_gettext("Endpoint URL (https://)"),
        validators=[
            DataRequired(lazy_gettext("Give the endpoint's URL.")),
            Length(max=URL_MAX),
            single_line,
        ],
    )
    events = SelectMultipleField(
        lazy_gettext("Events"),
        choices=[SelectChoice(event, label) for event, label in EVENT_LABELS.items()],
        default=[SIGNATURE_CONFIRMED],
        validators=[DataRequired(lazy_gettext("Choose at least one event."))],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
