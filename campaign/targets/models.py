"""The officials directory, letter campaign settings, and the letters written to officials.

In OSDI's terms a letter campaign is an advocacy_campaign (its `targets`, its
`templates` and `total_outreaches`), and the letters one signature wrote to its
officials make one outreach (`subject`, `message`, `targets`).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign import clock
from campaign.campaigns.models import Campaign, _enum
from campaign.extensions import db
from campaign.signing.models import Signature


class AddressProblem(enum.StrEnum):
    """Why no more letters go to an official's address until staff lift it (`campaign officials resume`)."""

    REFUSED = "refused"  # it refused mail for good, in the SMTP session or in a bounce
    COMPLAINT = "complaint"  # its office reported our letters as spam


class Official(db.Model):  # type: ignore[name-defined]
    """Someone letters are written to: a minister, a member of parliament."""

    __tablename__ = "officials"
    __table_args__ = (
        # The same person with the same address is one official; an office
        # inbox shared by several officials is allowed.
        UniqueConstraint("name", "email"),
        # Routing looks officials up by the signer's country and region.
        Index("ix_officials_country_region", "country", "region"),
        # A paused address has a reason and a time; an address without a reason is not paused.
        CheckConstraint("(address_problem IS NULL) = (bad_since IS NULL)", name="pause_whole"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(8))
    email: Mapped[str] = mapped_column(String(320))
    party: Mapped[str | None] = mapped_column(String(120))
    photo_url: Mapped[str | None] = mapped_column(String(500))
    ocd_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    # Why no letters go to the address, and since when; both empty while letters go to it.
    address_problem: Mapped[AddressProblem | None] = mapped_column(_enum(AddressProblem, "address_problem"))
    bad_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    @hybrid_property
    def is_paused(self) -> bool:
        """Whether letters to this address wait until staff lift its pause."""
        return self.address_problem is not None

    @is_paused.inplace.expression
    @classmethod
    def _is_paused_expression(cls) -> ColumnElement[bool]:
        return cls.address_problem.is_not(None)


class Targeting(enum.StrEnum):
    """How a letter campaign finds its officials."""

    FIXED = "fixed"  # the campaign's own list
    ROUTED = "routed"  # the signer's region's officials and their country's national ones


class DeliveryMode(enum.StrEnum):
    """How letters reach an official's inbox."""

    INDIVIDUAL = "individual"  # one email per letter, under an hourly cap and a window
    DIGEST = "digest"  # one email a day with every letter


class LetterCampaign(db.Model):  # type: ignore[name-defined]
    """The letter part of a campaign: its templates, targeting and delivery (OSDI advocacy_campaign)."""

    __tablename__ = "letter_campaigns"
    __table_args__ = (
        CheckConstraint("hourly_cap > 0", name="hourly_cap_positive"),
        CheckConstraint(
            "window_start_hour >= 0 AND window_end_hour <= 24 AND window_start_hour < window_end_hour",
            name="window_hours",
        ),
    )

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    # string.Template text: $name, $given_name, $family_name, $place,
    # $postal_code, $message, $official_name, $official_title.
    subject_template: Mapped[str] = mapped_column(String(300))
    body_template: Mapped[str] = mapped_column(Text)
    # Whether the signer's own paragraph ($message) goes into the letter.
    is_signer_editable: Mapped[bool] = mapped_column(Boolean, default=True)
    # Whether the signer may rewrite the whole letter: the sign form offers it, filled in, to edit.
    signers_may_edit_letter: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    targeting: Mapped[Targeting] = mapped_column(
        _enum(Targeting, "letter_targeting"), default=Targeting.FIXED
    )
    delivery: Mapped[DeliveryMode] = mapped_column(
        _enum(DeliveryMode, "letter_delivery"), default=DeliveryMode.INDIVIDUAL
    )
    hourly_cap: Mapped[int] = mapped_column(default=20)
    # Letters leave between these hours, in UTC: [start, end).
    window_start_hour: Mapped[int] = mapped_column(default=0)
    window_end_hour: Mapped[int] = mapped_column(default=24)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)

    campaign: Mapped[Campaign] = relationship()


class LetterTarget(db.Model):  # type: ignore[name-defined]
    """One official on a fixed-targeting campaign's list."""

    __tablename__ = "letter_targets"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("letter_campaigns.campaign_id", ondelete="CASCADE"), primary_key=True
    )
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), primary_key=True)


class LetterSchedule(db.Model):  # type: ignore[name-defined]
    """The next free sending slot of an official's inbox, shared by every campaign writing to them."""

    __tablename__ = "official_schedules"

    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), primary_key=True)
    next_slot_at: Mapped[datetime]


class ReplyConsent(db.Model):  # type: ignore[name-defined]
    """A signer's consent to be the Reply-To of their letters; no row, no Reply-To."""

    __tablename__ = "letter_reply_consents"

    signature_id: Mapped[int] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Letter(db.Model):  # type: ignore[name-defined]
    """One signature's letter to one official; the unique pair means it is written once."""

    __tablename__ = "letters"
    __table_args__ = (UniqueConstraint("signature_id", "official_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id", ondelete="CASCADE"))
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id", ondelete="CASCADE"), index=True)
    # The outbox row carrying it; None while it is held for review.
    # (Several letters share one row when they go in a daily digest.)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"), index=True)
    # No text is kept: the worker writes the letter from the sealed signature
    # when it is sent, so a withdrawn signature's letter is never sent.
    # The signature's keyed hash of its paragraph, to spot copies.
    message_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    is_held: Mapped[bool] = mapped_column(default=False)
    bounced_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    official: Mapped[Official] = relationship()
    signature: Mapped[Signature] = relationship()


class ReplyAnswer(enum.StrEnum):
    """What a writer told us when asked whether their officials replied."""

    YES = "yes"
    NO = "no"


class FollowUp(db.Model):  # type: ignore[name-defined]
    """Asking a writer, 14 days after delivery, whether their officials replied (a reminder at 21)."""

    __tablename__ = "letter_followups"

    signature_id: Mapped[int] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    asked_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    answer: Mapped[ReplyAnswer | None] = mapped_column(_enum(ReplyAnswer, "reply_answer"))
    answered_at: Mapped[datetime | None]
