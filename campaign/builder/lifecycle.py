"""A campaign's life: draft, in review, open, closed (by deadline or by hand), taken down; its outcome.

Every transition is a function here, called by the builder (organizers) and by
moderation (staff). Each changes a column of the campaign, so its `updated_at`
moves and the cached public page is rendered again. Once staff approved a
campaign, what organizers change (the outcome, its text, closing it) goes
through campaign.builder.changes; campaign.builder.change_effects calls these
when the change is approved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext
from markupsafe import Markup

from campaign import clock, labels
from campaign.accounts.models import User
from campaign.campaigns import service as campaigns
from campaign.campaigns.models import Campaign, CampaignStatus, OutcomeKind
from campaign.updates import links


class LifecycleError(Exception):
    """The campaign is not in a state that allows this step; the message says why."""


class Stage:
    """The stages shown to organizers and staff (a campaign past its deadline is closed)."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    OPEN = "open"
    CLOSED = "closed"
    TAKEN_DOWN = "taken_down"


# A stage is named as the campaign status of the same value is (campaign.labels).
STAGE_LABELS = labels.CAMPAIGN_STATUSES


@dataclass(frozen=True)
class Outcome:
    """How a campaign ended, as published on its page (read by the updates to signers)."""

    campaign_id: int
    kind: OutcomeKind
    text_markdown: str
    published_at: datetime

    @property
    def is_victory(self) -> bool:
        """Tell whether the campaign won."""
        return self.kind == OutcomeKind.VICTORY

    @property
    def heading(self) -> str:
        """The heading the page shows above the outcome."""
        return labels.label(self.kind, "outcome")

    @property
    def html(self) -> Markup:
        """The outcome's text as sanitized HTML, each link followed by the host it leads to."""
        return links.page_html(self.text_markdown)


def outcome_of(campaign: Campaign) -> Outcome | None:
    """The campaign's published outcome, if it has one."""
    if campaign.outcome_kind is None or campaign.outcome_at is None:
        return None
    return Outcome(campaign.id, campaign.outcome_kind, campaign.outcome_markdown or "", campaign.outcome_at)


def stage_of(campaign: Campaign, moment: datetime | None = None) -> str:
    """Where the campaign is in its life at the given moment (now by default)."""
    moment = moment or clock.now()
    is_past_deadline = campaign.closes_at is not None and moment >= campaign.closes_at
    if campaign.status == CampaignStatus.OPEN and is_past_deadline:
        return Stage.CLOSED
    return str(campaign.status)


def is_editable(campaign: Campaign) -> bool:
    """Tell whether organizers may still change what it says (only drafts: staff approved the rest)."""
    return campaign.status == CampaignStatus.DRAFT


def is_public(campaign: Campaign) -> bool:
    """Tell whether staff approved it and the public can see it (open or closed, not taken down)."""
    return campaign.status in (CampaignStatus.OPEN, CampaignStatus.CLOSED)


def revise(campaign: Campaign, title: str, summary: str, body_markdown: str) -> None:
    """Change what an approved campaign's page says (an approved change: see campaign.builder.changes)."""
    if not is_public(campaign):
        raise LifecycleError(
            gettext("Only a campaign the public can see is revised this way; a draft is edited.")
        )
    campaign.title = title.strip()
    campaign.summary = summary.strip()
    campaign.body_markdown = body_markdown
    campaigns.forget_views()


def submit(campaign: Campaign, user: User) -> None:
    """Send a draft to staff for review."""
    _require(campaign, CampaignStatus.DRAFT, gettext("Only a draft can be submitted for review."))
    if not campaign.body_markdown.strip():
        raise LifecycleError(gettext("Please write the campaign's text before submitting it."))
    if campaign.closes_at is not None and campaign.closes_at <= clock.now():
        raise LifecycleError(gettext("The deadline has passed: please choose a later one."))
    campaign.status = CampaignStatus.IN_REVIEW
    campaign.submitted_at = clock.now()
    campaign.submitted_by_id = user.id
    campaign.rejection_reason = None


def approve(campaign: Campaign) -> None:
    """Open a campaign that is in review: it appears on the site and takes signatures."""
    _require(campaign, CampaignStatus.IN_REVIEW, gettext("Only a campaign in review can be approved."))
    if campaign.closes_at is not None and campaign.closes_at <= clock.now():
        raise LifecycleError(
            gettext("Its deadline has passed: reject it so that its organizers choose another.")
        )
    campaign.status = CampaignStatus.OPEN
    campaign.approved_at = clock.now()
    campaigns.forget_views()


def reject(campaign: Campaign, reason: str) -> None:
    """Send a campaign in review back to its organizers as a draft, with the reason."""
    _require(campaign, CampaignStatus.IN_REVIEW, gettext("Only a campaign in review can be rejected."))
    campaign.status = CampaignStatus.DRAFT
    campaign.rejection_reason = reason


def take_down(campaign: Campaign, reason: str) -> None:
    """Hide an open or closed campaign from the public; it takes no more signatures."""
    if campaign.status not in (CampaignStatus.OPEN, CampaignStatus.CLOSED):
        raise LifecycleError(gettext("Only a campaign the public can see can be taken down."))
    campaign.status = CampaignStatus.TAKEN_DOWN
    campaign.taken_down_at = clock.now()
    campaign.takedown_reason = reason
    campaigns.forget_views()


def close(campaign: Campaign) -> None:
    """Close an open campaign by hand: its page stays, it takes no more signatures."""
    _require(campaign, CampaignStatus.OPEN, gettext("Only an open campaign can be closed."))
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = clock.now()
    campaigns.forget_views()


def publish_outcome(campaign: Campaign, kind: OutcomeKind, text_markdown: str) -> Outcome:
    """Publish (or correct) the outcome on the page of an open or closed campaign."""
    if stage_of(campaign) not in (Stage.OPEN, Stage.CLOSED):
        raise LifecycleError(gettext("An outcome can be published only on a campaign the public can see."))
    campaign.outcome_kind = kind
    campaign.outcome_markdown = text_markdown
    campaign.outcome_at = clock.now()
    campaigns.forget_views()
    outcome = outcome_of(campaign)
    assert outcome is not None
    return outcome


def _require(campaign: Campaign, status: CampaignStatus, message: str) -> None:
    """Raise LifecycleError unless the campaign is in this status."""
    if campaign.status != status:
        raise LifecycleError(message)
