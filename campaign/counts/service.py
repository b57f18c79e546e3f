"""Folding validated (and invalidated) signatures into the counters, reconciling, and reading them."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale, ngettext
from sqlalchemy import delete, func, select, text, update

from campaign import cache, clock, dispatch, i18n
from campaign.campaigns.models import Campaign
from campaign.campaigns.translations import in_language
from campaign.counts.models import CampaignCount, CountryCount, RecentCount, RegionCount
from campaign.database import insert
from campaign.extensions import db
from campaign.ledger import service as ledger
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.signing.models import Signature, SignatureStatus

log = logging.getLogger(__name__)

FOLD_TASK = "counts.fold_signatures"
# Confirmations ask for a fold after they commit; half a second of them share one.
dispatch.coalesce(FOLD_TASK, seconds=0.5)

# A signature the counters have not caught up with: validated but not yet
# counted, or counted but no longer validated. The partial index
# ix_signatures_to_fold has exactly this predicate, written the same way so
# that PostgreSQL can use it.
TO_FOLD = text("(status = 'validated') <> is_counted")

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


@dataclass
class _Deltas:
    """What one fold adds to each counter."""

    totals: Counter[int] = field(default_factory=Counter)
    countries: Counter[tuple[int, str]] = field(default_factory=Counter)
    regions: Counter[tuple[int, str]] = field(default_factory=Counter)
    windows: Counter[tuple[int, datetime]] = field(default_factory=Counter)


def fold_signatures(batch: int) -> int:
    """Fold up to `batch` changed signatures into the counters, each exactly once; return how many.

    One statement claims the rows and flips their marker: it locks them
    (skipping rows another folder holds) and rechecks the predicate on the
    locked row, so two folders running at once never count a row twice.
    The counters change in the same transaction as the markers.
    """
    claimable = select(Signature.id).where(TO_FOLD).limit(batch).with_for_update(skip_locked=True)
    claimed = db.session.execute(
        update(Signature)
        .where(Signature.id.in_(claimable.scalar_subquery()), TO_FOLD)
        .values(is_counted=Signature.status == SignatureStatus.VALIDATED)
        .returning(
            Signature.campaign_id,
            Signature.country,
            Signature.region,
            Signature.is_counted,
            Signature.validated_at,
            Signature.id,
            Signature.removal_reason,
        )
        .execution_options(synchronize_session=False)
    ).all()
    deltas = _Deltas()
    events = []
    for campaign_id, country, region, is_counted, validated_at, signature_id, reason in claimed:
        events.append(ledger.Event(campaign_id, signature_id, is_counted, reason))
        delta = 1 if is_counted else -1
        deltas.totals[campaign_id] += delta
        deltas.countries[(campaign_id, country)] += delta
        if region:
            deltas.regions[(campaign_id, region)] += delta
        if validated_at is not None:
            deltas.windows[(campaign_id, window_of(validated_at))] += delta
    _apply(deltas)
    # The public ledger gets one add or remove per change, in this transaction (after the counters' locks).
    ledger.record(events)
    _raise_goals(deltas.totals)
    db.session.commit()
    publish(deltas.totals)
    return len(claimed)


def window_of(moment: datetime) -> datetime:
    """The start of the five-minute window a moment falls in."""
    return moment - timedelta(
        minutes=moment.minute % 5, seconds=moment.second, microseconds=moment.microsecond
    )


def _apply(deltas: _Deltas) -> None:
    """Add the deltas to the counters, creating counter rows as needed (in key order: no deadlocks)."""
    now = clock.now()
    for campaign_id, delta in sorted(deltas.totals.items()):
        statement = insert(CampaignCount).values(
            campaign_id=campaign_id, total=delta, updated_at=now, version=1
        )
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["campaign_id"],
                set_={
                    "total": CampaignCount.total + statement.excluded.total,
                    "updated_at": now,
                    "version": CampaignCount.version + 1,
                },
            )
        )
    _add(CountryCount, "country", deltas.countries)
    _add(RegionCount, "region", deltas.regions)
    _add(RecentCount, "window_at", deltas.windows)


def _add(model: Any, column: str, deltas: Counter[Any]) -> None:
    """Add per-(campaign, key) deltas to one counter table."""
    for (campaign_id, value), delta in sorted(deltas.items()):
        statement = insert(model).values({"campaign_id": campaign_id, column: value, "total": delta})
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["campaign_id", column],
                set_={"total": model.total + statement.excluded.total},
            )
        )


# The goal ladder: 1,000, 2,500, 5,000, 10,000, 25,000, 50,000, 100,000, …
_LADDER_STEPS = (1, 2.5, 5)


def next_goal(total: int) -> int:
    """The first step of the ladder above the total."""
    magnitude = 1000
    while True:
        for step in _LADDER_STEPS:
            goal = int(step * magnitude)
            if goal > total:
                return goal
        magnitude *= 10


def _raise_goals(totals: Counter[int]) -> None:
    """Move every campaign that passed its goal to the next step, telling its contact once."""
    grown = [campaign_id for campaign_id, delta in totals.items() if delta > 0]
    if not grown:
        return
    passed = db.session.execute(
        select(Campaign, CampaignCount.total)
        .join(CampaignCount, CampaignCount.campaign_id == Campaign.id)
        .where(Campaign.id.in_(grown), CampaignCount.total >= Campaign.goal)
    ).all()
    for campaign, total in passed:
        reached = campaign.goal
        campaign.goal = next_goal(total)
        if campaign.contact_email:
            _owe_milestone(campaign, reached, total)


def _owe_milestone(campaign: Campaign, reached: int, total: int) -> None:
    """Tell the campaign's contact it passed its goal.

    We know no language of the contact's own: the note is written in the
    campaign's language, the one they wrote it in, and quotes the campaign's
    own words (in_language, like the mail to signers).
    """
    language = campaign.language
    quoted = in_language(campaign, language)
    with force_locale(i18n.supported(language) or i18n.DEFAULT_LANGUAGE):
        mail.queue(
            kind="milestone",
            dedupe_key=f"milestone:{campaign.id}:{reached}",
            recipient=mail.address("", campaign.contact_email or ""),
            subject=ngettext(
                "%(reached)s signature: %(title)s",
                "%(reached)s signatures: %(title)s",
                reached,
                reached=i18n.number(reached),
                title=quoted.title,
            ),
            template="milestone.txt",
            campaign=quoted,
            reached=reached,
            total=total,
            campaign_url=absolute_url("campaigns.show", slug=campaign.slug, **i18n.link_values(language)),
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
