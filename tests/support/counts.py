"""Folding the counts in a test while a worker may be folding too."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select

from campaign.counts import fold
from campaign.signing.models import Signature
from tests.support.waiting import wait_until


def fold_all(db: Any) -> None:
    """Fold every changed signature. The session's worker, if one runs, folds on its own when a
    confirmation asks it to, and the rows it holds are skipped here until it commits: wait for that."""

    def folded() -> bool:
        fold.fold_signatures(batch=1000)
        return not db.session.execute(select(exists().where(fold.TO_FOLD).select_from(Signature))).scalar()

    wait_until(folded)
