"""The organizer's forms: writing an update, and the button that sends it."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from campaign.validation import multi_line, single_line

# Markdown an organizer may write in one update.
BODY_MAX = 20_000


class UpdateForm(FlaskForm):
    """The subject and the Markdown body of an update."""

    subject = StringField(
        lazy_gettext("Subject"),
        validators=[
            DataRequired(lazy_gettext("Write a subject.")),
            Length(max=200, message=lazy_gettext("At most 200 characters.")),
            single_line,
        ],
    )
    body = TextAreaField(
        lazy_gettext("Message (Markdown)"),
        validators=[
            DataRequired(lazy_gettext("Write the message.")),
            Length(
                max=BODY_MAX, message=lazy_gettext("At most %(count)s characters.", count=f"{BODY_MAX:,}")
            ),
            multi_line,
        ],
    )


class SendForm(FlaskForm):
    """The confirmation that sends an update: its CSRF token is its only field."""
