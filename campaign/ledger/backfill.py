"""`campaign ledger backfill`: an `add` for every counted signature the ledger has not seen.

A deployment that counted signatures before the ledger existed has counters
that the ledger does not add up to. The backfill appends the missing adds, a
batch per transaction, so that additions - removals equals the count again.
Run twice, it appends nothing the second time.
"""

from __future__ import annotations

from sqlalchemy import exists, select

from campaign.extensions import db
from campaign.ledger import append
from campaign.ledger.models import LedgerEntry

DEFAULT_BATCH = 10_000


def backfill_batch(after: int = 0, batch: int = DEFAULT_BATCH) -> tuple[int, int | None]:
    """Append an `add` for up to `batch` counted signatures past id `after` that the ledger lacks.

    Return how many, and the last signature id looked at (None when none is
    left). The rows are locked (skipping any another transaction holds) until
    the commit, so no fold appends a signature's `remove` before its `add`.
    """
    from campaign.signing.models import Signature, SignatureStatus

    missing = db.session.execute(
        select(Signature.id, Signature.campaign_id)
        .where(
            Signature.id > after,
            Signature.is_counted.is_(True),
            # Counted and still counting: a row the fold is about to subtract waits for the fold.
            Signature.status == SignatureStatus.VALIDATED,
            # A counted signature the ledger has an event of was appended by the fold.
            ~exists().where(LedgerEntry.signature_id == Signature.id),
        )
        .order_by(Signature.id)
        .limit(batch)
        .with_for_update(of=Signature, skip_locked=True)
    ).all()
    if not missing:
        db.session.rollback()
        return 0, None
    appended = append.record(
        append.Event(campaign_id, signature_id, is_counted=True) for signature_id, campaign_id in missing
    )
    db.session.commit()
    return appended, int(missing[-1][0])


def backfill(batch: int = DEFAULT_BATCH) -> int:
    """Backfill every counted signature the ledger lacks, a batch per transaction; return how many adds."""
    total, after = 0, 0
    while True:
        appended, last = backfill_batch(after, batch)
        if last is None:
            return total
        total, after = total + appended, last
