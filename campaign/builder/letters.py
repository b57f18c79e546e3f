"""The letter part of a letter campaign in the builder: its templates and the officials it writes to.

The settings themselves (LetterCampaign, LetterTarget) and everything that
happens after signing belong to campaign.targets; the builder writes them
while the campaign is a draft, and afterwards changes only the letter's words,
through an approved change (campaign.builder.changes). A letter campaign is
submitted for review only once its letter is written (letter_problem).
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

from flask_babel import format_number, gettext
from sqlalchemy import delete, select

from campaign import clock, i18n
from campaign.builder import lifecycle
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import Campaign
from campaign.extensions import db
from campaign.signing.submission import RULES
from campaign.targets import service as targets
from campaign.targets.letters import PLACEHOLDERS, without_message_slot
from campaign.targets.models import DeliveryMode, LetterCampaign, LetterTarget, Official, Targeting

# The directory can be large; the builder offers this many officials to pick from.
OFFICIALS_OFFERED = 500
# The hour (UTC) a daily digest is offered to leave at: officials find it in their morning mail.
DIGEST_HOUR = 8
# Signers who may edit the letter whole get it in the sign form's message field: its limit is the letter's.
WHOLE_LETTER_LIMIT = RULES["message"].max_length
# What a new letter campaign's letter starts from: a frame, not a letter (letter_problem).
DEFAULT_LETTER_BODY = "Dear $official_name,\n\n$message\n\nYours sincerely,\n$name\n$place"


@dataclass(frozen=True)
class LetterDraft:
    """What an organizer chose for the letters."""

    subject_template: str
    body_template: str
    is_signer_editable: bool
    targeting: Targeting
    official_ids: list[int]
    signers_may_edit_letter: bool = False
    delivery: DeliveryMode = DeliveryMode.INDIVIDUAL
    # The hour (UTC) a daily digest leaves; only read for DeliveryMode.DIGEST.
    digest_hour: int = DIGEST_HOUR


def unknown_placeholders(template: str) -> list[str]:
    """The $placeholders in a template that letters cannot fill in."""
    return sorted(set(Template(template).get_identifiers()) - set(PLACEHOLDERS))


def whole_letter_problem(body_template: str, signers_may_edit_letter: bool) -> str | None:
    """Why a letter is too long for signers to edit whole; None if it fits (or they may not edit it)."""
    if not signers_may_edit_letter or len(without_message_slot(body_template)) <= WHOLE_LETTER_LIMIT:
        return None
    return gettext(
        "A letter signers edit can have at most %(limit)s characters: please shorten it.",
        limit=format_number(WHOLE_LETTER_LIMIT),
    )


def officials_offered() -> list[Official]:
    """The officials an organizer may address, by country and name."""
    query = select(Official).where(~Official.is_paused).order_by(Official.country, Official.name)
    return list(db.session.execute(query.limit(OFFICIALS_OFFERED)).scalars())


def official_label(official: Official) -> str:
    """How the builder offers an official: 'Camille Gagnon, Member of the National Assembly (Quebec, Canada)'.

    The country and region in words, in the organizer's language (not 'CA-CA-QC').
    """
    place = i18n.country_name(official.country)
    if official.region:
        place = gettext("%(region)s, %(country)s", region=i18n.region_name(official.region), country=place)
    return gettext("%(name)s, %(title)s (%(place)s)", name=official.name, title=official.title, place=place)


def settings_of(campaign: Campaign) -> LetterCampaign:
    """The campaign's letter settings (a letter campaign made in the builder always has them)."""
    return db.session.get_one(LetterCampaign, campaign.id)


def settings_or_none(campaign: Campaign) -> LetterCampaign | None:
    """The campaign's letter settings, if it has them (a letter campaign made otherwise may not)."""
    return db.session.get(LetterCampaign, campaign.id)


def targets_of(campaign: Campaign) -> list[Official]:
    """The officials on the campaign's fixed list, by name."""
    query = (
        select(Official)
        .join(LetterTarget, LetterTarget.official_id == Official.id)
        .where(LetterTarget.campaign_id == campaign.id)
        .order_by(Official.name, Official.id)
    )
    return list(db.session.execute(query).scalars())


def letter_problem(settings: LetterCampaign | None) -> str | None:
    """Why a letter campaign may not be submitted yet: its letter is not written; None if it is."""
    if settings is None:
        return gettext("Please write the letter to officials before submitting the campaign.")
    body = settings.body_template
    words_outside_placeholders = Template(body).safe_substitute({name: "" for name in PLACEHOLDERS})
    if not words_outside_placeholders.strip() or " ".join(body.split()) == " ".join(
        DEFAULT_LETTER_BODY.split()
    ):
        return gettext("Please write the letter to officials before submitting the campaign.")
    return None


def require_letter(campaign: Campaign) -> None:
    """Raise LifecycleError if a letter campaign's letter is still to be written."""
    if not campaign.is_letter:
        return
    problem = letter_problem(settings_or_none(campaign))
    if problem:
        raise lifecycle.LifecycleError(problem)


def target_ids(campaign: Campaign) -> list[int]:
    """The officials on the campaign's fixed list."""
    query = select(LetterTarget.official_id).where(LetterTarget.campaign_id == campaign.id)
    return list(db.session.execute(query).scalars())


def revise(campaign: Campaign, subject_template: str, body_template: str) -> None:
    """Change the words of an approved campaign's letters (an approved change); unsent letters use them."""
    if not lifecycle.is_public(campaign):
        raise lifecycle.LifecycleError(gettext("Only a campaign the public can see is revised this way."))
    settings = settings_of(campaign)
    settings.subject_template = subject_template.strip()
    settings.body_template = body_template
    # The sign page previews the letter: a new version of the campaign renders it again.
    campaign.updated_at = clock.now()
    db.session.flush()
    campaigns.forget_views()


def update(campaign: Campaign, draft: LetterDraft) -> None:
    """Save the letter settings of a draft; a fixed list needs at least one official."""
    if not lifecycle.is_editable(campaign):
        raise lifecycle.LifecycleError(
            gettext("Only a draft can be edited: staff approved what the public sees.")
        )
    if draft.targeting == Targeting.FIXED and not draft.official_ids:
        raise lifecycle.LifecycleError(
            gettext("Please choose at least one official, or write to each signer's own.")
        )
    settings = settings_of(campaign)
    settings.subject_template = draft.subject_template.strip()
    settings.body_template = draft.body_template
    settings.is_signer_editable = draft.is_signer_editable
    settings.signers_may_edit_letter = draft.signers_may_edit_letter
    settings.targeting = draft.targeting
    targets.set_delivery(settings, draft.delivery, draft.digest_hour)
    db.session.execute(delete(LetterTarget).where(LetterTarget.campaign_id == campaign.id))
    if draft.targeting == Targeting.FIXED:
        chosen = sorted(set(draft.official_ids))
        db.session.add_all(LetterTarget(campaign_id=campaign.id, official_id=i) for i in chosen)
    db.session.flush()


def digest_hour_of(settings: LetterCampaign) -> int:
    """The hour (UTC) the campaign's daily digest leaves, or would leave if it chose one."""
    return settings.window_start_hour if settings.delivery == DeliveryMode.DIGEST else DIGEST_HOUR
