"""The organizer's dashboard: every figure comes from a counter or from one grouped query.

Nothing here walks a campaign's signatures in Python: totals and countries
come from the counters, the hourly series from the five-minute windows, and
the rest from GROUP BY queries whose answers have a few dozen rows at most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from babel import Locale
from babel.dates import format_skeleton
from flask_babel import gettext
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.sql.functions import coalesce

from campaign import clock
from campaign.campaigns.models import Campaign
from campaign.counts.read import countries_by_total, stored_total, windows_since
from campaign.extensions import db
from campaign.i18n import country_name, current_language
from campaign.mail import service as mail
from campaign.signing.models import Signature, SignatureStatus
from campaign.targets.delivery import DELIVERY_STATES, OfficialDelivery, delivery_status
from campaign.updates.charts import Chart, column_chart, row_chart
from campaign.updates.models import Update, UpdateMessage
from campaign.updates.service import CANCELLED

DAYS = 30
HOURS = 24
TOP = 10
MAIL_STATES = ("sent", "queued", "bounced", "cancelled")
# An update email's state, as mail names it -> as an organizer does (a failed one bounced).
_MAIL_STATE_NAMES = {"sent": "sent", "queued": "queued", "failed": "bounced", "cancelled": "cancelled"}


@dataclass
class Series:
    """Labelled values, drawn as a chart and listed as a table."""

    title: str
    label_heading: str
    points: list[tuple[str, int]]
    chart: Chart

    @property
    def total(self) -> int:
        """The sum of the values."""
        return sum(value for _, value in self.points)


@dataclass
class Dashboard:
    """What the organizer of one campaign sees."""

    campaign: Campaign
    validated: int
    by_status: dict[str, int]
    daily: Series
    hourly: Series
    countries: Series
    sources: Series
    update_mail: dict[str, int]
    letters: dict[str, int]
    officials: list[OfficialDelivery] = field(default_factory=list)

    @property
    def signatures(self) -> int:
        """Every signature, whatever its state."""
        return sum(self.by_status.values())

    @property
    def confirmation_rate(self) -> int | None:
        """Validated signatures as a share of all, in percent; None before the first one."""
        if not self.signatures:
            return None
        return round(self.by_status.get(SignatureStatus.VALIDATED.value, 0) * 100 / self.signatures)


def build(campaign: Campaign, now: datetime | None = None) -> Dashboard:
    """Gather the dashboard of a campaign."""
    moment = now or clock.now()
    officials = delivery_status(campaign.id)
    return Dashboard(
        campaign=campaign,
        validated=validated_total(campaign.id),
        by_status=signatures_by_status(campaign.id),
        daily=_time_series(
            gettext("Confirmed signatures per day"),
            gettext("Day"),
            [(_day_label(d), _day_label(d), n) for d, n in daily_signatures(campaign.id, moment)],
        ),
        hourly=_time_series(
            gettext("Confirmed signatures per hour"),
            gettext("Hour (UTC)"),
            [(_hour_label(h), _clock_label(h), n) for h, n in hourly_signatures(campaign.id, moment)],
        ),
        countries=_series(
            gettext("Confirmed signatures by country"), gettext("Country"), by_country(campaign.id)
        ),
        sources=_series(gettext("Confirmed signatures by source"), gettext("Source"), by_source(campaign.id)),
        update_mail=update_mail(campaign.id),
        letters={state: sum(o.count(state) for o in officials) for state in DELIVERY_STATES},
        officials=officials,
    )


def _series(title: str, heading: str, points: list[tuple[str, int]]) -> Series:
    """A series of categories, drawn as rows."""
    return Series(title, heading, points, row_chart(points))


def _time_series(title: str, heading: str, labelled: list[tuple[str, str, int]]) -> Series:
    """A series over time, drawn as columns: (label in the table, label under the axis, value) each."""
    points = [(label, value) for label, _, value in labelled]
    return Series(title, heading, points, column_chart(points, axis_labels=[axis for _, axis, _ in labelled]))


def _day_label(day: date | datetime) -> str:
    """A day as the reader's language writes it short: Nov 8 / 8 nov. / 8 нояб. / 8 նոյ."""
    return str(format_skeleton("MMMd", day, locale=current_language()))


def _clock_label(hour: datetime) -> str:
    """An hour of the day (UTC) as the reader's language writes it: 14:00."""
    return str(format_skeleton("Hm", hour, locale=current_language()))


def _hour_label(hour: datetime) -> str:
    """A day and hour (UTC) joined as the reader's language joins them: Nov 8, 14:00 / 8 nov. 14:00."""
    joined = Locale.parse(current_language()).datetime_formats["short"]
    return str(joined).format(_clock_label(hour), _day_label(hour))


def validated_total(campaign_id: int) -> int:
    """The campaign's counter of validated signatures."""
    return stored_total(campaign_id)


def signatures_by_status(campaign_id: int) -> dict[str, int]:
    """How many signatures are pending, validated and invalidated."""
    rows = db.session.execute(
        select(Signature.status, func.count())
        .where(Signature.campaign_id == campaign_id)
        .group_by(Signature.status)
    ).all()
    return {str(status.value if hasattr(status, "value") else status): int(n) for status, n in rows}


def daily_signatures(campaign_id: int, now: datetime, days: int = DAYS) -> list[tuple[date, int]]:
    """Signatures confirmed on each of the last `days` days (UTC), oldest first, empty days included."""
    first = now.date() - timedelta(days=days - 1)
    day = func.date(Signature.validated_at)
    rows = db.session.execute(
        select(day, func.count())
        .where(
            Signature.campaign_id == campaign_id,
            Signature.status == SignatureStatus.VALIDATED,
            Signature.validated_at >= datetime.combine(first, datetime.min.time()),
        )
        .group_by(day)
    ).all()
    counts = {str(value)[:10]: int(n) for value, n in rows}
    days_shown = [first + timedelta(days=offset) for offset in range(days)]
    return [(d, counts.get(d.isoformat(), 0)) for d in days_shown]


def hourly_signatures(campaign_id: int, now: datetime, hours: int = HOURS) -> list[tuple[datetime, int]]:
    """Signatures confirmed in each of the last `hours` hours, from the five-minute windows."""
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    first = this_hour - timedelta(hours=hours - 1)
    per_hour: dict[datetime, int] = {}
    for window_at, total in windows_since(campaign_id, first):  # at most twelve windows an hour
        hour = window_at.replace(minute=0, second=0, microsecond=0)
        per_hour[hour] = per_hour.get(hour, 0) + total
    shown = [first + timedelta(hours=offset) for offset in range(hours)]
    return [(h, max(0, per_hour.get(h, 0))) for h in shown]


def by_country(campaign_id: int, top: int = TOP) -> list[tuple[str, int]]:
    """The countries with the most confirmed signatures (from their counters), the rest as one line."""
    rows = countries_by_total(campaign_id)
    shown = [(country_name(code), total) for code, total in rows[:top]]
    rest = sum(total for _, total in rows[top:])
    return [*shown, (gettext("Other countries"), rest)] if rest else shown


def by_source(campaign_id: int, top: int = TOP) -> list[tuple[str, int]]:
    """The sources (the link's tag) that brought the most confirmed signatures."""
    source = coalesce(Signature.source, "")
    rows = db.session.execute(
        select(source, func.count())
        .where(Signature.campaign_id == campaign_id, Signature.status == SignatureStatus.VALIDATED)
        .group_by(source)
        .order_by(func.count().desc(), source)
        .limit(top)
    ).all()
    # Signatures whose link carried no ?source= tag.
    direct = gettext("(direct)")
    return [(value or direct, int(n)) for value, n in rows]


def update_mail(campaign_id: int) -> dict[str, int]:
    """The campaign's updates to signers by delivery state: sent, queued, bounced, cancelled."""
    return _mail_counts(Update.campaign_id == campaign_id)


def delivery_of(update_id: int) -> dict[str, int]:
    """One update's emails by delivery state: sent, queued, bounced, cancelled."""
    return _mail_counts(Update.id == update_id)


def _mail_counts(condition: ColumnElement[bool]) -> dict[str, int]:
    """Update emails chosen by the condition, counted by delivery state in one grouped query."""
    each = (
        select(mail.state_of(UpdateMessage.outbox_id, cancelled_as=CANCELLED).label("state"))
        .select_from(UpdateMessage)
        .join(Update, Update.id == UpdateMessage.update_id)
        .where(condition)
        .subquery()
    )
    rows = db.session.execute(select(each.c.state, func.count()).group_by(each.c.state)).all()
    counts = dict.fromkeys(MAIL_STATES, 0)
    for state, n in rows:
        if state is not None:
            counts[_MAIL_STATE_NAMES[state]] += int(n)
    return counts
