"""Histories name people, not ids: "user:2" becomes the name staff know them by, in one query per page."""

from __future__ import annotations

from sqlalchemy import select

from campaign.audit.actors import actor_names
from campaign.audit.models import AuditEvent
from campaign.audit.service import record
from tests.support.builder import draft_of, press
from tests.support.sql import statements_of


def test_each_kind_of_actor_gets_a_name(db, team):
    names = actor_names(
        [f"user:{team.staff.user.id}", "cli:root", "system:webhooks", "user:999999", None, "odd"]
    )
    assert names == {
        f"user:{team.staff.user.id}": team.staff.user.display_name,
        "cli:root": "root at the command line",
        "system:webhooks": "The platform",
        "user:999999": "a removed account",
        "odd": "odd",
    }


def test_the_moderation_history_shows_who_by_name_in_one_query(app, db, team):
    campaign = draft_of(db, team.organizer, team.organization)
    page = f"/organize/campaigns/{campaign.id}"
    assert press(team.organizer, page, f"{page}/submit").status_code == 303
    review = f"/staff/moderation/{campaign.id}"
    record("system:webhooks", "campaign.noted", f"campaign:{campaign.id}")
    db.session.commit()

    html = team.staff.browser.get(review).get_data(as_text=True)

    history = html[html.index('id="history-heading"') :]
    assert f"<td>{team.organizer.user.display_name}</td>" in history
    assert "<td>The platform</td>" in history
    assert f"user:{team.organizer.user.id}" not in history
    # Many events by many people: still one query for their names, not one per line.
    for person in (team.staff, team.admin, team.other_organizer):
        record(f"user:{person.user.id}", "campaign.noted", f"campaign:{campaign.id}")
    db.session.commit()
    sent = statements_of(app, lambda: team.staff.browser.get(review))
    user_queries = [s for s in sent if s.startswith("SELECT users.id, users.display_name")]
    assert len(user_queries) == 1, user_queries


def test_the_account_history_names_who_acted(app, db, team):
    page = f"/staff/users/{team.organizer.user.id}"
    assert press(team.admin, page, f"{page}/role", role="staff").status_code == 303

    html = team.admin.browser.get(page).get_data(as_text=True)

    assert f"{team.admin.user.display_name} changed the account&#39;s role" in html
    assert f"by user:{team.admin.user.id}" not in html
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "user.role_changed")
    ).scalar_one()
    # The log keeps the id: a name may change, the id does not.
    assert event.actor == f"user:{team.admin.user.id}"
