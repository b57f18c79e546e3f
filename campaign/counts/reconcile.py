"""Reconciling the counters with the signatures they count, and repairing any drift (every night)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from campaign import clock
from campaign.counts.models import CampaignCount, CountryCount, RecentCount, RegionCount
from campaign.counts.read import publish
from campaign.database import insert
from campaign.extensions import db
from campaign.signing.models import Signature

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Drift:
    """A counter that disagreed with the signatures it counts."""

    campaign_id: int
    counted: int
    actual: int


def reconcile(now: datetime | None = None) -> list[Drift]:
    """Recount every campaign whose counter changed since its last reconciliation; repair drift."""
    moment = now or clock.now()
    changed = (
        db.session.execute(
            select(CampaignCount.campaign_id).where(
                (CampaignCount.reconciled_at.is_(None))
                | (CampaignCount.updated_at > CampaignCount.reconciled_at)
            )
        )
        .scalars()
        .all()
    )
    drifts = [drift for campaign_id in changed if (drift := reconcile_campaign(campaign_id, moment))]
    db.session.execute(delete(RecentCount).where(RecentCount.window_at < moment - timedelta(days=2)))
    db.session.commit()
    return drifts


def reconcile_campaign(campaign_id: int, moment: datetime) -> Drift | None:
    """Recount one campaign under its counter's lock and rebuild its counters if they drifted."""
    # Taking the counter row's lock first (a write, so SQLite takes its write
    # lock too) makes folds of this campaign wait until we are done; a fold's
    # uncommitted markers are not counted here and it adds them after us.
    db.session.execute(
        update(CampaignCount)
        .where(CampaignCount.campaign_id == campaign_id)
        .values(reconciled_at=moment)
        .execution_options(synchronize_session=False)
    )
    counted = Signature.campaign_id == campaign_id, Signature.is_counted.is_(True)
    actual = db.session.execute(select(func.count()).where(*counted)).scalar_one()
    countries = dict(
        db.session.execute(
            select(Signature.country, func.count()).where(*counted).group_by(Signature.country)
        ).all()
    )
    regions = {
        region: total
        for region, total in db.session.execute(
            select(Signature.region, func.count())
            .where(*counted, Signature.region.is_not(None))
            .group_by(Signature.region)
        ).all()
        if region
    }
    stored = db.session.get_one(CampaignCount, campaign_id, populate_existing=True)
    stored_countries = _stored(CountryCount, CountryCount.country, campaign_id)
    stored_regions = _stored(RegionCount, RegionCount.region, campaign_id)
    if (stored.total, stored_countries, stored_regions) == (actual, countries, regions):
        db.session.commit()
        return None
    log.error(
        "count drift on campaign %s: counter %s, signatures %s; repaired", campaign_id, stored.total, actual
    )
    drift = Drift(campaign_id, stored.total, actual)
    stored.total = actual
    stored.version += 1
    stored.updated_at = moment
    _replace(CountryCount, "country", campaign_id, countries)
    _replace(RegionCount, "region", campaign_id, regions)
    db.session.commit()
    publish([campaign_id])
    return drift


def _stored(model: Any, column: Any, campaign_id: int) -> dict[str, int]:
    """A campaign's non-zero counters of one kind."""
    rows = db.session.execute(
        select(column, model.total).where(model.campaign_id == campaign_id, model.total != 0)
    ).all()
    return {key: total for key, total in rows}


def _replace(model: Any, column: str, campaign_id: int, values: dict[str, int]) -> None:
    """Rebuild a campaign's counters of one kind from a recount."""
    db.session.execute(delete(model).where(model.campaign_id == campaign_id))
    if values:
        db.session.execute(
            insert(model),
            [{"campaign_id": campaign_id, column: key, "total": total} for key, total in values.items()],
        )
