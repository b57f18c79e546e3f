"""The moderation forms: a decision, with a reason where the organizer or the record needs one."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from campaign.validation import multi_line


class ApproveForm(FlaskForm):
    """Approving needs nothing but the button (and its CSRF token)."""


class ReasonForm(FlaskForm):
    """Rejecting or taking down: the reason, sent to the organizer or kept on record."""

    reason = TextAreaField(
        lazy_gettext("Reason"),
        validators=[
            DataRequired(lazy_gettext("Please give the reason.")),
            Length(min=10, max=2000),
            multi_line,
        ],
    )
