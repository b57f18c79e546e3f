"""API tokens: one per script or integration, stored only as a hash, revocable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign import clock
from campaign.accounts.models import User
from campaign.extensions import db


class ApiToken(db.Model):  # type: ignore[name-defined]
    """A secret that lets a script act as its user through the API."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    # SHA-256 of the token: tokens are long and random, so a fast hash is
    # enough, and a stolen dump gives no usable token.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown in lists so people can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # A token stops working at this moment: a forgotten token in an old script
    # must not keep reading supporters' data for ever.
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def is_expired(self) -> bool:
        """Tell whether the token's time is over."""
        return self.expires_at <= clock.now()

    @property
    def is_active(self) -> bool:
        """Tell whether the token still opens the API."""
        return self.revoked_at is None and not self.is_expired and self.user.is_active
