"""Folding validated (and invalidated) signatures into the counters, and raising goals as they pass."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import ngettext
from sqlalchemy import Select, select, text, update

from campaign import clock, dispatch, i18n, task_names
from campaign.campaigns.models import Campaign
from campaign.campaigns.translations import in_language
from campaign.counts.models import CampaignCount, CountryCount, RecentCount, RegionCount
from campaign.counts.read import publish, window_of
from campaign.database import insert, picked_once
from campaign.extensions import db
from campaign.ledger import append as ledger
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.signing.models import Signature, SignatureStatus

FOLD_TASK = task_names.FOLD_SIGNATURES
# Confirmations ask for a fold after they commit; a quarter of a second of them share one.
# (Behind a shared cache the count reaches a reader after the fold, the app's own second
# (COUNT_LOCAL_SECONDS) and the cache's second (count.json's max-age): the window is the part
# that can shrink, for at most four folds a second.)
dispatch.coalesce(FOLD_TASK, seconds=0.25)

# A signature the counters have not caught up with: validated but not yet
# counted, or counted but no longer validated. The partial index
# ix_signatures_to_fold has exactly this predicate, written the same way so
# that PostgreSQL can use it.
TO_FOLD = text("(status = 'validated') <> is_counted")


@dataclass
class _Deltas:
    """What one fold adds to each counter."""

    totals: Counter[int] = field(default_factory=Counter)
    countries: Counter[tuple[int, str]] = field(default_factory=Counter)
    regions: Counter[tuple[int, str]] = field(default_factory=Counter)
    windows: Counter[tuple[int, datetime]] = field(default_factory=Counter)


def claimable(batch: int) -> Select[int]:
    """The ids of up to `batch` signatures to fold, locked, skipping those another folder holds.

    Ordered by the partial index's column: the planner cannot estimate TO_FOLD (an expression
    without statistics), takes half the table to match it, and without an order read the whole
    table to find the few rows that do (a quarter of a second a fold at a million signatures,
    however few had changed).
    """
    return (
        select(Signature.id)
        .where(TO_FOLD)
        .order_by(Signature.campaign_id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )


def fold_signatures(batch: int) -> int:
    """Fold up to `batch` changed signatures into the counters, each exactly once; return how many.

    One statement claims the rows and flips their marker: it locks them
    (skipping rows another folder holds) and rechecks the predicate on the
    locked row, so two folders running at once never count a row twice.
    The counters change in the same transaction as the markers.
    """
    claimed = db.session.execute(
        update(Signature)
        .where(Signature.id.in_(picked_once(claimable(batch))), TO_FOLD)
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
    with i18n.writing_in(language):
        mail.queue(
            kind="milestone",
            dedupe_key=f"milestone:{campaign.id}:{reached}",
            recipient=mail.address("", campaign.contact_email or ""),
            # The contact is any address a member typed: bounded like all mail we are made to send.
            recipient_index=mail.recipient_index(campaign.contact_email or ""),
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
