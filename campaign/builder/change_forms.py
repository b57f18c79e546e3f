"""Forms of changes after approval: new words for the page or the letters, a decision, who approves."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length

from campaign.accounts.models import ChangeReview
from campaign.builder.forms import CampaignForm, LetterWordsForm, check_whole_letter
from campaign.validation import multi_line


class RevisionForm(FlaskForm):
    """New words for an approved campaign's page: its title, summary and text."""

    # The same fields, with the same checks, as the builder's form for a draft.
    title = CampaignForm.title
    summary = CampaignForm.summary
    body_markdown = CampaignForm.body_markdown


class LetterRevisionForm(LetterWordsForm):
    """New words for an approved campaign's letters: subject and text (the officials stay as approved)."""

    def __init__(self, *args: Any, signers_may_edit_letter: bool = False, **kwargs: Any) -> None:
        """The form, for a campaign whose signers may (or may not) edit the whole letter."""
        super().__init__(*args, **kwargs)
        # As approved: the limit of a letter signers edit applies to its new words too.
        self.signers_may_edit_letter = signers_may_edit_letter

    def validate_body_template(self, field: Any) -> None:
        """Only placeholders letters can fill in; a letter signers edit fits in the sign form."""
        super().validate_body_template(field)
        check_whole_letter(field.data or "", self.signers_may_edit_letter)


class RejectChangeForm(FlaskForm):
    """Refusing a proposed change: the reason, kept on record and shown to its author."""

    reason = TextAreaField(
        lazy_gettext("Why not"),
        validators=[
            DataRequired(lazy_gettext("Please give the reason.")),
            Length(min=3, max=2000),
            multi_line,
        ],
    )


class ChangeReviewForm(FlaskForm):
    """Who approves what members (not owners) change on the organization's approved campaigns."""

    review = RadioField(
        lazy_gettext("Changes by members after staff approved a campaign are approved by"),
        choices=[
            SelectChoice(ChangeReview.OWNER.value, lazy_gettext("One of the organization's owners")),
            SelectChoice(ChangeReview.STAFF.value, lazy_gettext("The platform's staff")),
        ],
        validators=[DataRequired(lazy_gettext("Please choose who approves."))],
    )
