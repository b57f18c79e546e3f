"""People and their signatures."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from campaign import clock
from campaign.campaigns.models import Campaign, _enum
from campaign.extensions import db

# What a sealed signature holds, in this order (see campaign.privacy.vault).
SEALED_PURPOSE = "signature"
PERSONAL_FIELDS = ("email", "given_name", "family_name", "postal_code", "comment", "message")


@dataclass(frozen=True)
class Personal:
    """A signer's own data, opened from its seal where the private key is held."""

    email: str = ""
    given_name: str = ""
    family_name: str = ""
    postal_code: str = ""
    comment: str = ""
    message: str = ""

    def sealed_values(self) -> list[str]:
        """The values in the order they are sealed."""
        return [getattr(self, name) for name in PERSONAL_FIELDS]

    @classmethod
    def opened(cls, sealed: bytes | None) -> Personal:
        """A signature's data opened from its seal (empty if it has none, as an erased one)."""
        from campaign.privacy.vault import open_values

        return cls() if sealed is None else cls(*open_values(sealed, purpose=SEALED_PURPOSE))

    @property
    def name(self) -> str:
        """Given and family name, as one line."""
        return f"{self.given_name} {self.family_name}".strip()


class Person(db.Model):  # type: ignore[name-defined]
    """Someone who signed, known only by a keyed hash of their canonical email address.

    The address itself is sealed inside each of their signatures: a stolen
    dump cannot tell who anyone is, while a second signature is still found.
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_index: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class SignatureStatus(enum.StrEnum):
    """Pending until the email is confirmed; only validated signatures count."""

    PENDING = "pending"
    VALIDATED = "validated"
    INVALIDATED = "invalidated"
    # Over a flood rule: answered like any other, never mailed, never counted.
    FRAUDULENT = "fraudulent"


class Signature(db.Model):  # type: ignore[name-defined]
    """One person's signature on one campaign."""

    __tablename__ = "signatures"
    __table_args__ = (
        # The database, not a SELECT, makes a second signature impossible.
        UniqueConstraint("campaign_id", "person_id"),
        # Rows the counter has not folded in yet: validated and uncounted, or
        # counted and no longer validated. Small, so folding costs what is new.
        Index(
            "ix_signatures_to_fold",
            "campaign_id",
            postgresql_where=text("(status = 'validated') <> is_counted"),
            sqlite_where=text("(status = 'validated') <> is_counted"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # None once the signature is anonymised: it still counts, but names nobody.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    status: Mapped[SignatureStatus] = mapped_column(
        _enum(SignatureStatus, "signature_status"), default=SignatureStatus.PENDING
    )
    # Email, names, postal code, comment and own words, sealed (campaign.privacy.vault);
    # None once withdrawn, erased or anonymised.
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Initials, for the staff pages that cannot open the seal ("A. P.").
    masked_name: Mapped[str | None] = mapped_column(String(16))
    # A keyed hash of the own words with case and punctuation removed: copies share it.
    message_hash: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(8))
    is_comment_public: Mapped[bool] = mapped_column(default=False)
    has_email_opt_in: Mapped[bool] = mapped_column(default=False)
    consent_version: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(64))
    # The language the supporter signed in ('en', 'hy', 'fr', 'ru'): mail to them is written in it.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # HMAC of the client address under a server key: enough to spot a burst
    # from one address, useless to whoever steals a dump without the key.
    # Kept 30 days, then cleared.
    client_hash: Mapped[str | None] = mapped_column(String(64))
    # Keyed hashes of the client's address range (/24 or /64) and of the
    # email's domain: what flood rules and bulk invalidation match on.
    # The range hash is cleared with client_hash.
    client_range_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    email_domain_index: Mapped[str | None] = mapped_column(String(64), index=True)
    # The address range itself, sealed like the personal data, so that the
    # worker can name a trending range to staff; cleared with client_hash.
    client_range_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The flood rule that marked a fraudulent signature (e.g. "address-burst").
    flood_rule: Mapped[str | None] = mapped_column(String(32))
    is_counted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    validated_at: Mapped[datetime | None]
    invalidated_at: Mapped[datetime | None]
    # Why an invalidated signature stopped counting: withdrawn, erased, staff.
    removal_reason: Mapped[str | None] = mapped_column(String(16))
    anonymised_at: Mapped[datetime | None]

    campaign: Mapped[Campaign] = relationship()
    person: Mapped[Person | None] = relationship()

    @cached_property
    def personal(self) -> Personal:
        """The signer's own data, opened from the seal (only where the private key is held)."""
        return Personal.opened(self.sealed)
