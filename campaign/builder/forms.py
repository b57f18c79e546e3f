"""The builder's forms: the campaign, its letter, image, contact email and outcome, and the bare buttons."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from campaign import clock, i18n
from campaign.builder.letters import LetterDraft, unknown_placeholders, whole_letter_problem
from campaign.builder.service import SLUG_PATTERN, CampaignDraft
from campaign.builder.setting_forms import alt_field
from campaign.campaigns.models import CampaignKind, OutcomeKind, closes_at_of
from campaign.targets.models import DeliveryMode, Targeting
from campaign.validation import multi_line, single_line

# The languages a campaign page can be written in (BCP 47 tags and their own names).
# Translators: keep each language's own name; translate only the name in brackets.
LANGUAGES = [
    ("en", lazy_gettext("English")),
    ("hy", lazy_gettext("Հայերեն (Armenian)")),
    ("fr", lazy_gettext("Français (French)")),
    ("de", lazy_gettext("Deutsch (German)")),
    ("es", lazy_gettext("Español (Spanish)")),
    ("it", lazy_gettext("Italiano (Italian)")),
    ("nl", lazy_gettext("Nederlands (Dutch)")),
    ("ru", lazy_gettext("Русский (Russian)")),
    ("fa", lazy_gettext("فارسی (Persian)")),
    ("ar", lazy_gettext("العربية (Arabic)")),
    ("el", lazy_gettext("Ελληνικά (Greek)")),
]

# The furthest a deadline may be set, counted from today: five years (a leap day among them). Petitions
# elsewhere run for months (six on the UK Parliament's, twelve for a European Citizens' Initiative); a
# campaign needing longer sets a new deadline later. It also keeps every accepted day's closing moment,
# the following midnight (campaign.campaigns.models.closes_at_of), far from the end of the calendar.
LONGEST_DEADLINE = timedelta(days=5 * 365 + 1)


class CampaignForm(FlaskForm):
    """What a campaign says and asks for."""

    title = StringField(
        lazy_gettext("Title"),
        validators=[
            DataRequired(lazy_gettext("Please give the campaign a title.")),
            Length(max=200),
            single_line,
        ],
    )
    slug = StringField(
        lazy_gettext("Web address (the part after /campaigns/)"),
        validators=[
            Optional(),
            Length(max=80),
            Regexp(SLUG_PATTERN, message=lazy_gettext("Use lower-case letters, digits and single dashes.")),
            single_line,
        ],
    )
    summary = TextAreaField(
        lazy_gettext("Summary (one or two sentences)"),
        validators=[DataRequired(lazy_gettext("Please write a summary.")), Length(max=500), multi_line],
    )
    body_markdown = TextAreaField(
        lazy_gettext("Text (Markdown)"), validators=[Length(max=20_000), multi_line]
    )
    goal = IntegerField(
        lazy_gettext("Signature goal"),
        default=1000,
        validators=[DataRequired(lazy_gettext("Please set a goal.")), NumberRange(min=1, max=100_000_000)],
    )
    closes_on = DateField(lazy_gettext("Last day to sign (UTC, optional)"), validators=[Optional()])
    language = SelectField(
        lazy_gettext("Language of the page"), choices=[SelectChoice(c, n) for c, n in LANGUAGES]
    )
    share_text = TextAreaField(
        lazy_gettext("Text offered to people who share it"), validators=[Length(max=280), multi_line]
    )
    decision_maker = StringField(
        lazy_gettext("Addressed to (the decision maker)"), validators=[Length(max=200), single_line]
    )
    save = SubmitField(lazy_gettext("Save"))
    preview = SubmitField(lazy_gettext("Preview"))

    def validate_closes_on(self, field: Any) -> None:
        """A deadline lies in the future, and at most LONGEST_DEADLINE away."""
        if not field.data:
            return
        today = clock.now().date()
        # Today is still a last day to sign: the campaign closes at the following midnight.
        if field.data < today:
            raise ValidationError(_("Please choose a day after today."))
        latest = today + LONGEST_DEADLINE
        if field.data > latest:
            raise ValidationError(_("Please choose a day no later than %(day)s.", day=i18n.day(latest)))

    def draft(self) -> CampaignDraft:
        """The form's values, for the service."""
        return CampaignDraft(
            title=self.title.data or "",
            summary=self.summary.data or "",
            body_markdown=self.body_markdown.data or "",
            goal=int(self.goal.data or 1),
            closes_at=closes_at_of(self.closes_on.data) if self.closes_on.data else None,
            language=self.language.data or "en",
            share_text=self.share_text.data or "",
            slug=self.slug.data or None,
            decision_maker=self.decision_maker.data or "",
        )


class NewCampaignForm(CampaignForm):
    """A new campaign: also which organization runs it and what supporters do."""

    organization_id = SelectField(lazy_gettext("Organization"), coerce=int)
    kind = SelectField(
        lazy_gettext("Kind"),
        choices=[
            SelectChoice(CampaignKind.PETITION.value, lazy_gettext("Petition")),
            SelectChoice(CampaignKind.LETTER.value, lazy_gettext("Letter to officials")),
        ],
    )


class LetterWordsForm(FlaskForm):
    """The words of a campaign's letters: their subject and text templates."""

    subject_template = StringField(
        lazy_gettext("Subject"),
        validators=[DataRequired(lazy_gettext("Please write a subject.")), Length(max=300), single_line],
    )
    body_template = TextAreaField(
        lazy_gettext("Letter"),
        validators=[DataRequired(lazy_gettext("Please write the letter.")), Length(max=10_000), multi_line],
    )

    def validate_subject_template(self, field: Any) -> None:
        """Only placeholders letters can fill in."""
        _check_placeholders(field.data or "")

    def validate_body_template(self, field: Any) -> None:
        """Only placeholders letters can fill in."""
        _check_placeholders(field.data or "")


class LetterForm(LetterWordsForm):
    """The letters a letter campaign sends: their templates and to whom."""

    is_signer_editable = BooleanField(lazy_gettext("Signers may add their own paragraph ($message)"))
    signers_may_edit_letter = BooleanField(
        lazy_gettext("Signers may edit the whole letter (the sign form offers it to them, filled in)")
    )
    delivery = SelectField(
        lazy_gettext("Delivery to each official"),
        choices=[
            SelectChoice(
                DeliveryMode.INDIVIDUAL.value,
                lazy_gettext("Paced: each letter is its own email, spaced out over the hours"),
            ),
            SelectChoice(
                DeliveryMode.DIGEST.value,
                lazy_gettext("Daily digest: one email a day with every new letter"),
            ),
        ],
    )
    digest_hour = SelectField(
        lazy_gettext("Hour the daily digest leaves (UTC)"),
        coerce=int,
        choices=[SelectChoice(hour, f"{hour:02d}:00") for hour in range(24)],
    )
    targeting = SelectField(
        lazy_gettext("Officials"),
        choices=[
            SelectChoice(
                Targeting.ROUTED.value, lazy_gettext("Each signer's own officials (by country and region)")
            ),
            SelectChoice(Targeting.FIXED.value, lazy_gettext("The officials chosen below")),
        ],
    )
    official_ids = SelectMultipleField(
        lazy_gettext("Chosen officials"),
        coerce=int,
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )

    def validate_signers_may_edit_letter(self, field: Any) -> None:
        """A letter signers edit fits in the sign form's field, whose limit is the paragraph's."""
        check_whole_letter(self.body_template.data or "", bool(field.data))

    def draft(self) -> LetterDraft:
        """The form's values, for the service."""
        return LetterDraft(
            subject_template=self.subject_template.data or "",
            body_template=self.body_template.data or "",
            is_signer_editable=bool(self.is_signer_editable.data),
            targeting=Targeting(self.targeting.data),
            official_ids=list(self.official_ids.data or []),
            signers_may_edit_letter=bool(self.signers_may_edit_letter.data),
            delivery=DeliveryMode(self.delivery.data),
            digest_hour=int(self.digest_hour.data or 0),
        )


def check_whole_letter(body_template: str, signers_may_edit_letter: bool) -> None:
    """Raise a ValidationError if signers may edit the letter whole and it is too long for them to send."""
    problem = whole_letter_problem(body_template, signers_may_edit_letter)
    if problem:
        raise ValidationError(problem)


def _check_placeholders(template: str) -> None:
    """Raise a ValidationError naming any placeholder letters cannot fill in."""
    unknown = unknown_placeholders(template)
    if unknown:
        names = ", ".join(f"${name}" for name in unknown)
        raise ValidationError(_("Unknown placeholders: %(names)s.", names=names))


class ImageForm(FlaskForm):
    """An image for the campaign's page and its shares, with what it shows."""

    image = FileField(
        lazy_gettext("Image (JPEG, PNG or WebP)"),
        validators=[FileRequired(lazy_gettext("Please choose an image."))],
    )
    image_alt = alt_field()


class OutcomeForm(FlaskForm):
    """How the campaign ended."""

    kind = SelectField(
        lazy_gettext("Outcome"),
        choices=[
            SelectChoice(OutcomeKind.VICTORY.value, lazy_gettext("Victory: the demand was met")),
            SelectChoice(OutcomeKind.RESPONSE.value, lazy_gettext("The decision makers responded")),
        ],
    )
    text = TextAreaField(
        lazy_gettext("What happened (Markdown)"),
        validators=[DataRequired(lazy_gettext("Please say what happened.")), Length(max=10_000), multi_line],
    )
    # "yes" once the organizer saw how many signers the first outcome emails (change_routes.outcome).
    confirmed = HiddenField()


class ButtonForm(FlaskForm):
    """A button that changes something (submit, close, remove the image): only its CSRF token."""
