"""The users and roles page as an admin uses it: find people by role and state, page through many,
send a new link to someone who never signed in, and confirm before disabling anyone."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from campaign.accounts import staff_accounts
from campaign.accounts.models import Role, User
from campaign.accounts.organizations import create_organization
from campaign.api.tokens import create_token
from campaign.audit.models import AuditEvent
from tests.support.accounts import log_in, log_in_with_code
from tests.support.forms import post_form
from tests.support.outbox import bodies

ADMIN_SECRET = pyotp.random_base32()


def admin_browser(app, make_user):
    """An admin signed in with their second factor, and their account."""
    user = make_user("boss@example.org", role=Role.ADMIN, totp_secret=ADMIN_SECRET)
    browser = app.test_client()
    log_in_with_code(browser, "boss@example.org", ADMIN_SECRET)
    return browser, user


def listed(browser, query: str = "") -> str:
    """The list of accounts as the page shows it (its table only)."""
    html = browser.get(f"/staff/users{query}").get_data(as_text=True)
    return html[html.find("<table") : html.find("</table>")] if "<table" in html else ""


def test_the_list_filters_by_role_and_state(app, db, make_user):
    admin, _ = admin_browser(app, make_user)
    make_user("sona@example.org", role=Role.STAFF)
    make_user("aram@example.org")
    gone = make_user("gone@example.org")
    gone.is_active = False
    db.session.commit()
    log_in(app.test_client(), "aram@example.org")

    staff_only = listed(admin, "?role=staff")
    assert "sona@example.org" in staff_only and "aram@example.org" not in staff_only
    disabled = listed(admin, "?state=disabled")
    assert "gone@example.org" in disabled and "aram@example.org" not in disabled
    never = listed(admin, "?role=organizer&state=never")
    # Aram signed in once; the disabled account is not waiting for anyone.
    assert never == "" and "No account matches." in admin.get(
        "/staff/users?state=never&role=organizer"
    ).get_data(as_text=True)
    assert "aram@example.org" in listed(admin, "?role=organizer&state=active")
    # The chosen filters stay chosen.
    page = admin.get("/staff/users?role=staff&state=disabled").get_data(as_text=True)
    assert '<option value="staff" selected>' in page and '<option value="disabled" selected>' in page


def test_many_accounts_come_a_page_at_a_time(app, db, make_user, monkeypatch):
    admin, _ = admin_browser(app, make_user)
    for number in range(5):
        make_user(f"organizer{number}@example.org")
    monkeypatch.setattr(staff_accounts, "PER_PAGE", 2)

    first = admin.get("/staff/users?role=organizer").get_data(as_text=True)
    assert "organizer0@" in first and "organizer1@" in first and "organizer2@" not in first
    assert "Previous page" not in first
    next_link = re.search(r'href="([^"]+)">Next page', first).group(1).replace("&amp;", "&")
    assert "role=organizer" in next_link and "page=2" in next_link
    last = admin.get("/staff/users?role=organizer&page=3").get_data(as_text=True)
    assert "organizer4@" in last and "Next page" not in last and "Previous page" in last


def test_someone_who_never_signed_in_is_sent_a_new_link_audited(app, db, make_user):
    admin, boss = admin_browser(app, make_user)
    made = post_form(
        admin, "/staff/users", email="narine@example.org", display_name="Narine", role="organizer"
    )
    page = made.headers["Location"]
    assert "Email a new link to choose a password" in admin.get(page).get_data(as_text=True)

    again = post_form(admin, page, action=f"{page}/invite")

    assert again.status_code == 303
    assert "A new link to choose a password was emailed" in admin.get(page).get_data(as_text=True)
    links = [re.search(r"/password/reset/\S+", body).group(0) for body in bodies(db, "account-created")]
    assert len(links) == 2
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "user.invited")).scalar_one()
    assert event.actor == f"user:{boss.id}" and event.details == {"sent": True}
    # A second press at once sends nothing more, and says so.
    post_form(admin, page, action=f"{page}/invite")
    assert len(bodies(db, "account-created")) == 2
    assert "No email was sent" in admin.get(page).get_data(as_text=True)


def test_someone_who_signed_in_is_not_invited_again(app, db, make_user):
    admin, _ = admin_browser(app, make_user)
    aram = make_user("aram@example.org")
    log_in(app.test_client(), "aram@example.org")
    page = f"/staff/users/{aram.id}"
    assert "Email a new link" not in admin.get(page).get_data(as_text=True)
    assert post_form(admin, page, action=f"{page}/invite").status_code == 409
    assert bodies(db, "account-created") == []


def test_disabling_asks_first_and_says_what_it_ends(app, db, make_user):
    admin, _ = admin_browser(app, make_user)
    aram = make_user("aram@example.org")
    create_organization("Artsakh Relief", aram)
    create_token(aram, "sync", actor="cli:root")
    db.session.commit()
    log_in(app.test_client(), "aram@example.org")
    page = f"/staff/users/{aram.id}"
    assert f'href="{page}/disable"' in admin.get(page).get_data(as_text=True)

    confirm = admin.get(f"{page}/disable").get_data(as_text=True)

    assert "Disable aram@example.org?" in confirm
    assert "ends 1 signed-in session;" in confirm and "revokes 1 API token." in confirm
    assert "Artsakh Relief" in confirm and "only owner" in confirm
    # Nothing happened yet; the button on the confirmation page does it.
    db.session.expire_all()
    assert db.session.get(User, aram.id).is_active
    assert post_form(admin, f"{page}/disable").status_code == 303
    db.session.expire_all()
    assert not db.session.get(User, aram.id).is_active
