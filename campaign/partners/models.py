"""Partner organizations of a campaign, and each supporter's consent to hear from one of them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign import clock
from campaign.accounts.models import Organization
from campaign.campaigns.models import Campaign, _enum
from campaign.extensions import db


class PartnerStatus(enum.StrEnum):
    """Where an organization stands as a campaign's partner."""

    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REMOVED = "removed"


class CampaignPartner(db.Model):  # type: ignore[name-defined]
    """An organization invited by a campaign's owners to co-host it; shown on its page once accepted."""

    __tablename__ = "campaign_partners"
    __table_args__ = (UniqueConstraint("campaign_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[PartnerStatus] = mapped_column(
        _enum(PartnerStatus, "partner_status"), default=PartnerStatus.INVITED
    )
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # When the partner's owners accepted or declined; when the campaign's owners removed it.
    responded_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]

    campaign: Mapped[Campaign] = relationship()
    organization: Mapped[Organization] = relationship()


class PartnerConsent(db.Model):  # type: ignore[name-defined]
    """A supporter's consent, given on the sign form, that one partner organization may email them.

    It holds nothing of the supporter but the link to their signature, and the
    exact words they ticked, in the language they read them in. Deleted with
    the signature's personal data (withdrawal, erasure) or the signature itself.
    """

    __tablename__ = "partner_consents"
    __table_args__ = (
        UniqueConstraint("signature_id", "organization_id"),
        # A partner's export lists the signatures that consented to it.
        Index("ix_partner_consents_organization_id_signature_id", "organization_id", "signature_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    signature_id: Mapped[int] = mapped_column(ForeignKey("signatures.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    wording: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
