"""The campaign model."""

from __future__ import annotations

import enum
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Enum,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    or_,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from campaign import clock
from campaign.extensions import db


class CampaignKind(enum.StrEnum):
    """What a supporter does on the campaign: sign a petition or send a letter."""

    PETITION = "petition"
    LETTER = "letter"


class CampaignStatus(enum.StrEnum):
    """Where a campaign is in its life."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"  # submitted by its organizers, waiting for staff
    OPEN = "open"
    CLOSED = "closed"
    TAKEN_DOWN = "taken_down"  # removed by staff: hidden from the public, takes no signature


class ImageFocus(enum.StrEnum):
    """Which part of a campaign's image a crop keeps in view: its top, its middle or its bottom."""

    TOP = "top"
    CENTER = "center"
    BOTTOM = "bottom"


class OutcomeKind(enum.StrEnum):
    """How a campaign ended: its demand was met, or the decision makers answered."""

    VICTORY = "victory"
    RESPONSE = "response"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """Store an enum by its value, as a short string checked by the database."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


# When a campaign takes signatures, said once: `takes_signatures` for a campaign in hand, and
# `takes_signatures_sql` (below the model) for every query: the ORM's list of open campaigns and
# the one-statement sign (campaign/signing/store.py). tests/campaigns/test_open_rule.py holds
# the two to the same answers.
def takes_signatures(
    status: CampaignStatus, opens_at: datetime | None, closes_at: datetime | None, moment: datetime
) -> bool:
    """Tell whether a campaign in this state takes signatures at the given moment."""
    if status != CampaignStatus.OPEN:
        return False
    if opens_at is not None and moment < opens_at:
        return False
    return closes_at is None or moment < closes_at


# A deadline is set as a last day to sign; the campaign closes at the following midnight, UTC. Said
# once, both ways: the builder's form writes it, every page that names the last day reads it back.
def closes_at_of(day: date) -> datetime:
    """The moment a campaign whose last day is `day` closes: the following midnight, UTC."""
    return datetime.combine(day + timedelta(days=1), time())


def last_day_of(closes_at: datetime) -> date:
    """The last day to sign of a campaign closing at this moment (the inverse of closes_at_of)."""
    return (closes_at - timedelta(microseconds=1)).date()


class Campaign(db.Model):  # type: ignore[name-defined]
    """A petition or a letter campaign."""

    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("goal > 0", name="goal_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[CampaignKind] = mapped_column(_enum(CampaignKind, "campaign_kind"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500))
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    goal: Mapped[int] = mapped_column(default=1000)
    status: Mapped[CampaignStatus] = mapped_column(
        _enum(CampaignStatus, "campaign_status"), default=CampaignStatus.DRAFT, index=True
    )
    language: Mapped[str] = mapped_column(String(16), default="en")
    # Where milestone notices go until campaigns belong to organizations.
    contact_email: Mapped[str | None] = mapped_column(String(320))
    # The organization that runs it: its members see and export its signers.
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    # What supporters are offered to post when they share it.
    share_text: Mapped[str] = mapped_column(String(280), default="", server_default="")
    # The re-encoded image's random file name (campaign.builder.images); None without one.
    image_name: Mapped[str | None] = mapped_column(String(64), unique=True)
    image_width: Mapped[int | None]
    image_height: Mapped[int | None]
    # What the image shows, for people who cannot see it (its alt text); None: decorative.
    image_alt: Mapped[str | None] = mapped_column(String(300))
    # What the page's banner and the share image keep in view when they crop the image.
    image_focus: Mapped[ImageFocus] = mapped_column(
        _enum(ImageFocus, "image_focus"), default=ImageFocus.CENTER, server_default=ImageFocus.CENTER.value
    )
    # Who a petition is addressed to ("The Parliament of Canada"), shown on its page.
    decision_maker: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The lifecycle (campaign.builder.lifecycle): who submitted it, what staff decided.
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(String(2000))
    taken_down_at: Mapped[datetime | None]
    takedown_reason: Mapped[str | None] = mapped_column(String(2000))
    closed_at: Mapped[datetime | None]
    outcome_kind: Mapped[OutcomeKind | None] = mapped_column(_enum(OutcomeKind, "campaign_outcome"))
    outcome_markdown: Mapped[str | None] = mapped_column(Text)
    outcome_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    def is_open_at(self, moment: datetime) -> bool:
        """Tell whether supporters may sign at the given moment."""
        return takes_signatures(self.status, self.opens_at, self.closes_at, moment)

    @property
    def is_letter(self) -> bool:
        """Tell whether signing sends letters to officials."""
        return self.kind == CampaignKind.LETTER

    @hybrid_property
    def ended_at(self) -> datetime | None:
        """When it stopped taking signatures (or will, at its deadline): closed by its people, else its
        deadline; None with neither."""
        return self.closed_at or self.closes_at

    @ended_at.inplace.expression
    @classmethod
    def _ended_at_expression(cls) -> ColumnElement[datetime | None]:
        return func.coalesce(cls.closed_at, cls.closes_at)


def takes_signatures_sql(moment: Any) -> ColumnElement[bool]:
    """`takes_signatures` as SQL over the campaigns table, at `moment` (a value or a bound parameter)."""
    return and_(
        Campaign.status == CampaignStatus.OPEN,
        or_(Campaign.opens_at.is_(None), Campaign.opens_at <= moment),
        or_(Campaign.closes_at.is_(None), Campaign.closes_at > moment),
    )


class CampaignTranslation(db.Model):  # type: ignore[name-defined]
    """A campaign's words in another language than its own (campaign.campaigns.translations)."""

    __tablename__ = "campaign_translations"
    __table_args__ = (UniqueConstraint("campaign_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500))
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    share_text: Mapped[str] = mapped_column(String(280), default="", server_default="")
    # Whom the campaign addresses, in this language; "": its page names them in the campaign's own words.
    decision_maker: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # A letter campaign's letter in this language; None: its letters stay in the campaign's language.
    letter_subject: Mapped[str | None] = mapped_column(String(300))
    letter_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
