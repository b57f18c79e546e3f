"""A campaign's settings beyond its words: the contact email, the image's alt text and focal point,
the outcome's audience, and the letter with its delivery as organizers and staff review it.

The letter's own settings (templates, officials, delivery, what signers may
edit) are saved by campaign.builder.letters; this module reads them back for
the builder's campaign page and the moderation page, which show the same block.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext

from campaign.accounts.models import User
from campaign.audit.service import record
from campaign.builder import letters, lifecycle
from campaign.builder.service import actor
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import Campaign, ImageFocus
from campaign.extensions import db
from campaign.targets.models import DeliveryMode, Targeting
from campaign.updates import sending as update_sending


@dataclass(frozen=True)
class LetterReview:
    """A letter campaign's letter as its officials will get it, and how it reaches them."""

    subject: str
    body: str
    is_routed: bool
    # The fixed list, as the builder names each official ('Name, Title (Region, Country)').
    officials: list[str]
    is_digest: bool
    digest_hour: int
    hourly_cap: int
    is_signer_editable: bool
    signers_may_edit_letter: bool
    # Why the campaign cannot be submitted yet because of its letter; "" when it can.
    problem: str


def set_contact_email(campaign: Campaign, email: str, user: User) -> None:
    """Send the campaign's notices (milestones, bounced letters) to this address from now on."""
    campaign.contact_email = email
    db.session.flush()
    record(actor(user), "campaign.contact_changed", f"campaign:{campaign.id}")


def set_image_alt(campaign: Campaign, alt: str, user: User) -> None:
    """Say what a draft's image shows (its alt text); only while the image itself may change."""
    if not lifecycle.is_editable(campaign):
        raise lifecycle.LifecycleError(gettext("Only a draft's image can be changed."))
    if campaign.image_name is None:
        raise lifecycle.LifecycleError(gettext("Please upload an image first."))
    campaign.image_alt = alt.strip()
    db.session.flush()
    record(actor(user), "campaign.image_alt_changed", f"campaign:{campaign.id}")
    campaigns.forget_views()


def set_image_focus(campaign: Campaign, focus: ImageFocus, user: User) -> None:
    """Choose what the page's banner and the share image keep in view of a draft's image."""
    if not lifecycle.is_editable(campaign):
        raise lifecycle.LifecycleError(gettext("Only a draft's image can be changed."))
    if campaign.image_name is None:
        raise lifecycle.LifecycleError(gettext("Please upload an image first."))
    campaign.image_focus = focus
    db.session.flush()
    # The crop is part of how the image shows: logged as a change of the image (its focus in the details).
    record(actor(user), "campaign.image_changed", f"campaign:{campaign.id}", focus=focus.value)
    campaigns.forget_views()


def outcome_audience(campaign: Campaign) -> int | None:
    """How many signers the first outcome would email now; None when publishing it emails nobody.

    Only the first outcome of a campaign the public can see is announced
    (campaign.builder.change_effects); a correction changes the page alone.
    """
    if not lifecycle.is_public(campaign) or lifecycle.outcome_of(campaign) is not None:
        return None
    return update_sending.count_recipients(campaign.id)


def letter_for_review(campaign: Campaign) -> LetterReview | None:
    """A letter campaign's letter and delivery, as the builder and moderation pages show them."""
    if not campaign.is_letter:
        return None
    settings = letters.settings_or_none(campaign)
    if settings is None:
        return None
    is_routed = settings.targeting == Targeting.ROUTED
    officials = [] if is_routed else [letters.official_label(o) for o in letters.targets_of(campaign)]
    return LetterReview(
        subject=settings.subject_template,
        body=settings.body_template,
        is_routed=is_routed,
        officials=officials,
        is_digest=settings.delivery == DeliveryMode.DIGEST,
        digest_hour=settings.window_start_hour,
        hourly_cap=settings.hourly_cap,
        is_signer_editable=settings.is_signer_editable,
        signers_may_edit_letter=settings.signers_may_edit_letter,
        problem=letters.letter_problem(settings) or "",
    )
