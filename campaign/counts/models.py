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
    # When the nightly reconciliation last recounted it; a campaign whose
    # counter moved since then is recounted next night.
    reconciled_at: Mapped[datetime | None]
    # Raised by every change, under the row's lock: readers of the Redis copy
    # keep the newest version and an ETag names it.
    version: Mapped[int] = mapped_column(default=0)


class CountryCount(db.Model):  # type: ignore[name-defined]
    """The number of validated signatures of a campaign from one country."""

    __tablename__ = "country_counts"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    total: Mapped[int] = mapped_column(default=0)


class RegionCount(db.Model):  # type: ignore[name-defined]
    """The number of validated signatures of a campaign from one region (ISO 3166-2)."""

    __tablename__ = "region_counts"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    region: Mapped[str] = mapped_column(String(8), primary_key=True)
    total: Mapped[int] = mapped_column(default=0)


class RecentCount(db.Model):  # type: ignore[name-defined]
    """Signatures validated in one five-minute window: the last twelve make 'trending'."""

    __tablename__ = "recent_counts"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    window_at: Mapped[datetime] = mapped_column(primary_key=True)
    total: Mapped[int] = mapped_column(default=0)
