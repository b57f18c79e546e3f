"""Folding validated (and invalidated) signatures into the counters, and reading them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, text, update

from campaign import clock
from campaign.counts.models import CampaignCount, CountryCount
from campaign.database import insert
from campaign.extensions import db
from campaign.signing.models import Signature, SignatureStatus

# A signature the counters have not caught up with: validated but not yet
# counted, or counted but no longer validated. The partial index
# ix_signatures_to_fold has exactly this predicate, written the same way so
# that PostgreSQL can use it.
TO_FOLD = text("(status = 'validated') <> is_counted")


@dataclass(frozen=True)
class CountSnapshot:
    """A campaign's validated signatures, in all and per country."""

    total: int
    by_country: dict[str, int] = field(default_factory=dict)
    updated_at: datetime | None = None


def fold_signatures(batch: int) -> int:
    """Fold up to `batch` changed signatures into the counters, each exactly once; return how many.

    One statement claims the rows and flips their marker: it locks them
    (skipping rows another folder holds) and rechecks the predicate on the
    locked row, so two folders running at once never count a row twice.
    """
    claimable = select(Signature.id).where(TO_FOLD).limit(batch).with_for_update(skip_locked=True)
    claimed = db.session.execute(
        update(Signature)
        .where(Signature.id.in_(claimable.scalar_subquery()), TO_FOLD)
        .values(is_counted=Signature.status == SignatureStatus.VALIDATED)
        .returning(Signature.campaign_id, Signature.country, Signature.is_counted)
        .execution_options(synchronize_session=False)
    ).all()
    totals: Counter[int] = Counter()
    countries: Counter[tuple[int, str]] = Counter()
    for campaign_id, country, is_counted in claimed:
        delta = 1 if is_counted else -1
        totals[campaign_id] += delta
        countries[(campaign_id, country)] += delta
    _apply(totals, countries)
    db.session.commit()
    return len(claimed)


def _apply(totals: Counter[int], countries: Counter[tuple[int, str]]) -> None:
    """Add the deltas to the counters, creating counter rows as needed."""
    now = clock.now()
    for campaign_id, delta in sorted(totals.items()):
        statement = insert(CampaignCount).values(campaign_id=campaign_id, total=delta, updated_at=now)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["campaign_id"],
                set_={"total": CampaignCount.total + statement.excluded.total, "updated_at": now},
            )
        )
    for (campaign_id, country), delta in sorted(countries.items()):
        statement = insert(CountryCount).values(campaign_id=campaign_id, country=country, total=delta)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["campaign_id", "country"],
                set_={"total": CountryCount.total + statement.excluded.total},
            )
        )


def read_count(campaign_id: int) -> CountSnapshot:
    """The counters of a campaign: two primary-key reads, whatever its size."""
    counter = db.session.get(CampaignCount, campaign_id)
    if counter is None:
        return CountSnapshot(0)
    rows = db.session.execute(
        select(CountryCount.country, CountryCount.total).where(
            CountryCount.campaign_id == campaign_id, CountryCount.total > 0
        )
    ).all()
    return CountSnapshot(counter.total, {country: total for country, total in rows}, counter.updated_at)


def read_totals(campaign_ids: list[int]) -> dict[int, int]:
    """The totals of several campaigns at once, for lists."""
    rows = db.session.execute(
        select(CampaignCount.campaign_id, CampaignCount.total).where(
            CampaignCount.campaign_id.in_(campaign_ids)
        )
    ).all()
    return {campaign_id: total for campaign_id, total in rows}
