"""Reading the counters: snapshots of a campaign's count, their copies in Redis, totals and trends."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from campaign import cache, clock
from campaign.campaigns.models import Campaign
from campaign.counts.models import CampaignCount, CountryCount, RecentCount
from campaign.extensions import db

# Trending counts validations in windows of this size over the last hour.
WINDOW = timedelta(minutes=5)
TRENDING_SPAN = timedelta(hours=1)


@dataclass(frozen=True)
class CountSnapshot:
    """A campaign's validated signatures, in all and per country, as the public sees them."""

    total: int
    by_country: dict[str, int] = field(default_factory=dict)
    updated_at: datetime | None = None
    goal: int | None = None
    version: int = 0
    # The five-minute windows of the last hour when it was taken, as (window start, signatures):
    # a reader sums those still in the hour (signed_in_last_hour), so the line fades without a fold.
    recent: tuple[tuple[datetime, int], ...] = ()

    def as_json(self) -> str:
        """Serialize for the Redis copy."""
        return json.dumps(
            {
                "total": self.total,
                "by_country": self.by_country,
                "goal": self.goal,
                "version": self.version,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None,
                "recent": [[start.isoformat(), total] for start, total in self.recent],
            }
        )

    @classmethod
    def from_json(cls, raw: bytes) -> CountSnapshot:
        """Read the Redis copy."""
        data = json.loads(raw)
        updated = data["updated_at"]
        return cls(
            data["total"],
            data["by_country"],
            datetime.fromisoformat(updated) if updated else None,
            data["goal"],
            data["version"],
            # A copy written before the windows were kept has none.
            tuple((datetime.fromisoformat(start), total) for start, total in data.get("recent", [])),
        )


def window_of(moment: datetime) -> datetime:
    """The start of the five-minute window a moment falls in."""
    return moment - timedelta(
        minutes=moment.minute % 5, seconds=moment.second, microseconds=moment.microsecond
    )


def snapshot_from_database(campaign_id: int) -> CountSnapshot:
    """The counters of a campaign as the database has them: primary-key reads, whatever its size."""
    row = db.session.execute(
        select(CampaignCount, Campaign.goal)
        .join(Campaign, Campaign.id == CampaignCount.campaign_id)
        .where(CampaignCount.campaign_id == campaign_id)
    ).first()
    if row is None:
        return CountSnapshot(0)
    counter, goal = row
    countries = db.session.execute(
        select(CountryCount.country, CountryCount.total)
        .where(CountryCount.campaign_id == campaign_id, CountryCount.total > 0)
        .order_by(CountryCount.country)
    ).all()
    by_country = {country: total for country, total in countries}
    windows = db.session.execute(
        select(RecentCount.window_at, RecentCount.total)
        .where(RecentCount.campaign_id == campaign_id, RecentCount.window_at > _hour_start(clock.now()))
        .order_by(RecentCount.window_at)
    ).all()
    recent = tuple((start, total) for start, total in windows)
    return CountSnapshot(counter.total, by_country, counter.updated_at, goal, counter.version, recent)


def _hour_start(moment: datetime) -> datetime:
    """The windows after this one make the last hour at a moment (as trending counts it)."""
    return window_of(moment - TRENDING_SPAN)


def signed_in_last_hour(snapshot: CountSnapshot, moment: datetime | None = None) -> int:
    """Signatures validated in the last hour, from the windows a snapshot holds (no query)."""
    since = _hour_start(moment or clock.now())
    return max(0, sum(total for start, total in snapshot.recent if start > since))


_PUBLISH = """
local current = redis.call('HGET', KEYS[1], 'version')
if not current or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'version', ARGV[1], 'json', ARGV[2])
end
"""


def publish(campaign_ids: Iterable[int]) -> None:
    """Copy the counters to Redis after a commit; an older copy never replaces a newer one."""
    if cache.client() is not None:
        _write_copies([(cid, snapshot_from_database(cid)) for cid in sorted(set(campaign_ids))])


def _write_copies(snapshots: list[tuple[int, CountSnapshot]]) -> None:
    """Write counter snapshots to Redis, each only if newer than the copy there."""

    def write(connection: cache.redis.Redis) -> None:
        script = connection.register_script(_PUBLISH)
        with connection.pipeline(transaction=False) as pipe:
            for campaign_id, snapshot in snapshots:
                script(
                    keys=[cache.key("count", campaign_id)],
                    args=[snapshot.version, snapshot.as_json()],
                    client=pipe,
                )
            pipe.execute()

    cache.attempt(write, None)


# campaign id -> snapshot: under a surge each process answers thousands of
# reads a second with the same count; it asks Redis once a second.
_local: cache.Local[int, CountSnapshot] = cache.Local(10_000)


def read_count(campaign_id: int) -> CountSnapshot:
    """The public count of a campaign: kept a moment in this process, else from Redis, else the database."""
    seconds = current_app.config["COUNT_LOCAL_SECONDS"]
    return _local.get_or_make(campaign_id, seconds, lambda: _read_shared(campaign_id))


def _read_shared(campaign_id: int) -> CountSnapshot:
    """The count from Redis in O(1), or from the database if Redis has none or is away."""
    raw = cache.attempt(lambda r: r.hget(cache.key("count", campaign_id), "json"), None)
    if isinstance(raw, bytes):
        return CountSnapshot.from_json(raw)
    snapshot = snapshot_from_database(campaign_id)
    _write_copies([(campaign_id, snapshot)])  # the next reader finds it in Redis
    return snapshot


def read_totals(campaign_ids: list[int]) -> dict[int, int]:
    """The totals of several campaigns at once, for lists."""
    rows = db.session.execute(
        select(CampaignCount.campaign_id, CampaignCount.total).where(
            CampaignCount.campaign_id.in_(campaign_ids)
        )
    ).all()
    return {campaign_id: total for campaign_id, total in rows}


def trending(campaign_ids: list[int]) -> dict[int, int]:
    """Signatures validated in the last hour, per campaign."""
    since = _hour_start(clock.now())
    rows = db.session.execute(
        select(RecentCount.campaign_id, func.sum(RecentCount.total))
        .where(RecentCount.campaign_id.in_(campaign_ids), RecentCount.window_at > since)
        .group_by(RecentCount.campaign_id)
    ).all()
    return {campaign_id: max(0, int(total)) for campaign_id, total in rows}


def stored_total(campaign_id: int) -> int:
    """A campaign's counter of validated signatures, read from the database now (0 before its first)."""
    total = db.session.execute(
        select(CampaignCount.total).where(CampaignCount.campaign_id == campaign_id)
    ).scalar_one_or_none()
    return int(total or 0)


def windows_since(campaign_id: int, first: datetime) -> list[tuple[datetime, int]]:
    """A campaign's five-minute windows that start at or after `first`, as (start, signatures)."""
    rows = db.session.execute(
        select(RecentCount.window_at, RecentCount.total).where(
            RecentCount.campaign_id == campaign_id, RecentCount.window_at >= first
        )
    ).all()
    return [(window_at, int(total)) for window_at, total in rows]


def countries_by_total(campaign_id: int) -> list[tuple[str, int]]:
    """A campaign's countries with signatures, as (code, total), the most signed first (ties by code)."""
    rows = db.session.execute(
        select(CountryCount.country, CountryCount.total)
        .where(CountryCount.campaign_id == campaign_id, CountryCount.total > 0)
        .order_by(CountryCount.total.desc(), CountryCount.country)
    ).all()
    return [(country, int(total)) for country, total in rows]
