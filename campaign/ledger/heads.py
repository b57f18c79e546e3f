"""Signed tree heads: publishing one for each public campaign whose tree changed, and reading the newest.

A head signs the campaign's slug, tree size, root and time with the current
Ed25519 key (campaign.ledger.keys); ledger.json shows it (LEDGER.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from campaign import clock
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.extensions import db
from campaign.ledger import keys
from campaign.ledger.models import LedgerHead, LedgerKey, LedgerTree
from campaign.ledger.proofs import root_hash

PUBLIC_STATUSES = (CampaignStatus.OPEN, CampaignStatus.CLOSED)


def published_at_text(moment: datetime) -> str:
    """A head's time as it is signed and shown: ISO 8601, UTC, whole seconds."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_text(slug: str, tree_size: int, root_hex: str, published_at: str) -> bytes:
    """What a head's signature covers: slug, size, root and time, one a line."""
    return f"{slug}\n{tree_size}\n{root_hex}\n{published_at}".encode()


def publish_heads(now: datetime | None = None) -> int:
    """Sign and publish a head for every public campaign whose tree (or signing key) changed; return how many.

    A public campaign with no head yet gets one, of its empty tree if need be.
    """
    moment = (now or clock.now()).replace(microsecond=0)
    latest = _latest_heads_subquery()
    rows = db.session.execute(
        select(Campaign.id, Campaign.slug, LedgerTree, LedgerHead)
        .outerjoin(LedgerTree, LedgerTree.campaign_id == Campaign.id)
        .outerjoin(latest, latest.c.campaign_id == Campaign.id)
        .outerjoin(LedgerHead, LedgerHead.id == latest.c.id)
        .where(Campaign.status.in_(PUBLIC_STATUSES))
        .order_by(Campaign.id)
    ).all()
    current = keys.current_key_row()
    key_id = current.id if current else None
    signer: keys.SigningKey | None = None
    published = 0
    for campaign_id, slug, tree, head in rows:
        size = tree.size if tree else 0
        if head is not None and (head.tree_size, head.slug, head.key_id) == (size, slug, key_id):
            continue
        signer = signer or keys.signing_key()
        key_id = signer.id
        _publish(campaign_id, slug, tree, signer, moment)
        published += 1
    db.session.commit()
    return published


def _latest_heads_subquery() -> Any:
    """The id of each campaign's newest head."""
    return (
        select(LedgerHead.campaign_id, func.max(LedgerHead.id).label("id"))
        .group_by(LedgerHead.campaign_id)
        .subquery()
    )


def _publish(
    campaign_id: int, slug: str, tree: LedgerTree | None, signer: keys.SigningKey, moment: datetime
) -> None:
    """Sign the campaign's tree as it stands and add the head."""
    size = tree.size if tree else 0
    root = root_hash(campaign_id, size)
    text = signed_text(slug, size, root.hex(), published_at_text(moment))
    db.session.add(
        LedgerHead(
            campaign_id=campaign_id,
            slug=slug,
            tree_size=size,
            root_hash=root,
            additions=tree.additions if tree else 0,
            removals=tree.removals if tree else 0,
            published_at=moment,
            key_id=signer.id,
            signature=signer.private.sign(text),
        )
    )


def latest_head(campaign_id: int) -> tuple[LedgerHead, bytes] | None:
    """The campaign's newest head and the public key it was signed with."""
    row = db.session.execute(
        select(LedgerHead, LedgerKey.public_key)
        .join(LedgerKey, LedgerKey.id == LedgerHead.key_id)
        .where(LedgerHead.campaign_id == campaign_id)
        .order_by(LedgerHead.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def head_json(head: LedgerHead, public_key: bytes) -> dict[str, Any]:
    """A head as ledger.json shows it (LEDGER.md)."""
    return {
        "slug": head.slug,
        "tree_size": head.tree_size,
        "root_hash": head.root_hash.hex(),
        "additions": head.additions,
        "removals": head.removals,
        "published_at": published_at_text(head.published_at),
        "public_key": public_key.hex(),
        "signature": head.signature.hex(),
    }
