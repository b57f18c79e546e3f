"""An export's dates: a day too far ahead is refused on the form; the furthest day taken runs to the end."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from babel.dates import format_date

from campaign import clock
from campaign.accounts.models import Role
from campaign.audit.models import AuditEvent
from campaign.exports.forms import LATEST_AHEAD
from campaign.exports.models import Export
from tests.exports.test_exports import add_signers, read_csv
from tests.support.forms import post_form
from tests.support.people import signed_in


def test_a_day_too_far_ahead_is_refused_on_the_form_and_nothing_is_asked(
    app: Any, db: Any, make_campaign: Any
) -> None:
    campaign = make_campaign(slug="dates")
    browser, _ = signed_in(app, db, "staff@example.org", Role.STAFF)
    latest = clock.now().date() + LATEST_AHEAD
    said = f"Please choose a day no later than {format_date(latest, 'long', locale='en')}."
    for field, day in [
        ("signed_to", "9999-12-31"),
        ("signed_to", (latest + timedelta(days=1)).isoformat()),
        ("signed_from", "9999-12-31"),
    ]:
        answer = post_form(
            browser, "/staff/exports/", campaign_id=campaign.id, status="validated", **{field: day}
        )
        assert answer.status_code == 400, (field, day)
        assert said in answer.get_data(as_text=True), (field, day)
    assert db.session.query(Export).count() == 0 and db.session.query(AuditEvent).count() == 0


def test_an_export_to_the_furthest_day_runs_and_lists_everyone_signed_so_far(
    app: Any, db: Any, make_campaign: Any, tmp_path: Any
) -> None:
    campaign = make_campaign(slug="until")
    add_signers(db, campaign, ["Ani", "Aram"])
    # The furthest day the form takes, and the calendar's last (the command line, or an export asked
    # for before the form refused it, asked again).
    for day in (clock.now().date() + LATEST_AHEAD, date.max):
        out = tmp_path / f"{day.isoformat()}.csv"
        args = ["export", "until", "-o", str(out), "--to", day.isoformat(), "--columns", "given_name"]
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output
        assert read_csv(out) == [["First name"], ["Ani"], ["Aram"]]
