"""The ledger's rows: its entries, the stored nodes of its tree, its signed heads, receipts and keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from campaign import clock
from campaign.extensions import db


class LedgerTree(db.Model):  # type: ignore[name-defined]
    """A campaign's tree as it stands (published or not): its size and what its events add up to.

    Its row is the lock that orders appends to one campaign's tree.
    """

    __tablename__ = "ledger_trees"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    additions: Mapped[int] = mapped_column(BigInteger, default=0)
    removals: Mapped[int] = mapped_column(BigInteger, default=0)
    # The removals by the reason their `remove` gives (append.REASONS), for the campaign page.
    removed_withdrawn: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    removed_erased: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    removed_fraud: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    removed_invalidated: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


# The entries, nodes and stored receipts have no foreign keys: the fold writes thousands a second,
# a check per row cost as much as the rows, and nothing they name is ever deleted (a campaign with
# signatures is not, a counted signature is invalidated, not deleted).


class LedgerEntry(db.Model):  # type: ignore[name-defined]
    """One event of a campaign's ledger, as published: the leaf's input bytes (JSON).

    The signature it is about is kept beside it (never published), so that a
    receipt, which opens to its signature, finds its events.
    """

    __tablename__ = "ledger_entries"
    # A receipt's latest events: the first rows of one scan of this index.
    __table_args__ = (Index("ix_ledger_entries_signature_id_index", "signature_id", "index"),)

    campaign_id: Mapped[int] = mapped_column(primary_key=True)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf_input: Mapped[bytes] = mapped_column(LargeBinary)
    signature_id: Mapped[int | None]


class LedgerNode(db.Model):  # type: ignore[name-defined]
    """The hash of a complete subtree: leaves [index * 2**level, (index + 1) * 2**level)."""

    __tablename__ = "ledger_nodes"

    campaign_id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerHead(db.Model):  # type: ignore[name-defined]
    """A signed tree head, as published; earlier ones are kept."""

    __tablename__ = "ledger_heads"
    __table_args__ = (Index("ix_ledger_heads_campaign_id_id", "campaign_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    # The slug it was signed under (a signature covers it).
    slug: Mapped[str] = mapped_column(String(80))
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    additions: Mapped[int] = mapped_column(BigInteger)
    removals: Mapped[int] = mapped_column(BigInteger)
    # Whole seconds, UTC: the signed text holds it as written.
    published_at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(ForeignKey("ledger_keys.id"))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


class LedgerReceipt(db.Model):  # type: ignore[name-defined]
    """A random receipt made before receipts were computed (receipt_ids), kept for the signatures
    whose leaves name it; nothing new is written here.

    The receipt is public (it is in the leaves); the signature it belongs to is not.
    """

    __tablename__ = "ledger_receipts"

    signature_id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int]
    receipt: Mapped[str] = mapped_column(String(32), unique=True)
    # The leaf of its latest `add`, and of the `remove` that undid it (None while it counts).
    added_index: Mapped[int | None] = mapped_column(BigInteger)
    removed_index: Mapped[int | None] = mapped_column(BigInteger)


class LedgerKey(db.Model):  # type: ignore[name-defined]
    """The public half of a key tree heads are signed with; the private half never enters the database."""

    __tablename__ = "ledger_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # A retired key signs nothing new; heads it signed stay verifiable with its public half.
    retired_at: Mapped[datetime | None]
