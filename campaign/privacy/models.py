"""The public halves of the sealing keys; the private halves never enter the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign import clock
from campaign.extensions import db


class SealingKey(db.Model):  # type: ignore[name-defined]
    """A public key personal data is sealed to: the platform's, or one organization's."""

    __tablename__ = "sealing_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # None: the platform's own key, used for organizations without one.
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # A retired key seals nothing new; its private half still opens what it sealed.
    retired_at: Mapped[datetime | None]
