"""Signature counters, kept by a worker task rather than by COUNT(*)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign import clock
from campaign.extensions import db


class CampaignCount(db.Model):  # type: ignore[name-defined]
    """The number of validated signatures of a campaign."""

    __tablename__ = "campaign_counts"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    total: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class CountryCount(db.Model):  # type: ignore[name-defined]
    """The number of validated signatures of a campaign from one country."""

    __tablename__ = "country_counts"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    total: Mapped[int] = mapped_column(default=0)
