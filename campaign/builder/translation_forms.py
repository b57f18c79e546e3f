"""The form an organizer translates a campaign's words in: page, share text, decision maker and (letter
campaigns) letter."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from campaign.builder.forms import _check_placeholders, check_whole_letter
from campaign.campaigns.translations import TranslationDraft
from campaign.validation import multi_line, single_line


class TranslationForm(FlaskForm):
    """A campaign's words in one more language (the same limits as the campaign's own)."""

    title = StringField(
        lazy_gettext("Title"),
        validators=[
            DataRequired(lazy_gettext("Please translate the title.")),
            Length(max=200),
            single_line,
        ],
    )
    summary = TextAreaField(
        lazy_gettext("Summary (one or two sentences)"),
        validators=[DataRequired(lazy_gettext("Please translate the summary.")), Length(max=500), multi_line],
    )
    body_markdown = TextAreaField(
        lazy_gettext("Text (Markdown)"), validators=[Length(max=20_000), multi_line]
    )
    share_text = TextAreaField(
        lazy_gettext("Text offered to people who share it"), validators=[Length(max=280), multi_line]
    )
    # Shown only when the campaign names a decision maker itself (templates/builder/translation.html).
    decision_maker = StringField(
        lazy_gettext("Addressed to (the decision maker)"), validators=[Length(max=200), single_line]
    )
    letter_subject = StringField(lazy_gettext("Letter's subject"), validators=[Length(max=300), single_line])
    letter_body = TextAreaField(lazy_gettext("Letter"), validators=[Length(max=10_000), multi_line])

    def __init__(self, *args: Any, signers_may_edit_letter: bool = False, **kwargs: Any) -> None:
        """The form, for a campaign whose signers may (or may not) edit the whole letter."""
        super().__init__(*args, **kwargs)
        # Signers reading this language edit the translated letter: the same limit applies to it.
        self.signers_may_edit_letter = signers_may_edit_letter

    def write_in(self, language: str) -> None:
        """Mark the text fields as written in the translation's language (spelling, screen readers)."""
        for field in (
            self.title,
            self.summary,
            self.body_markdown,
            self.share_text,
            self.decision_maker,
            self.letter_subject,
            self.letter_body,
        ):
            field.render_kw = {**(field.render_kw or {}), "lang": language}

    def validate_letter_subject(self, field: Any) -> None:
        """Only placeholders letters can fill in; a subject goes with a letter."""
        _check_placeholders(field.data or "")
        if bool((field.data or "").strip()) != bool((self.letter_body.data or "").strip()):
            raise ValidationError(_("Translate both the letter's subject and its text, or neither."))

    def validate_letter_body(self, field: Any) -> None:
        """Only placeholders letters can fill in; a letter signers edit fits in the sign form."""
        _check_placeholders(field.data or "")
        check_whole_letter(field.data or "", self.signers_may_edit_letter)

    def draft(self) -> TranslationDraft:
        """The form's values, for the service."""
        return TranslationDraft(
            title=(self.title.data or "").strip(),
            summary=(self.summary.data or "").strip(),
            body_markdown=self.body_markdown.data or "",
            share_text=(self.share_text.data or "").strip(),
            decision_maker=(self.decision_maker.data or "").strip(),
            letter_subject=(self.letter_subject.data or "").strip() or None,
            letter_body=self.letter_body.data or None,
        )
