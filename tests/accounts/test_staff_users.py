"""The staff page of users and roles: create, change role, disable, reset two-factor; each audited,
staff only, with a fresh second factor, and no one raises themselves or an admin."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from campaign.accounts.models import AccountSession, Role, User
from campaign.api.models import ApiToken
from campaign.api.tokens import create_token
from tests.support.accounts import age_second_factor, log_in, log_in_with_code
from tests.support.audit import events
from tests.support.forms import post_form
from tests.support.outbox import bodies

STAFF_SECRET = pyotp.random_base32()


def staff_browser(app, make_user, role: Role = Role.STAFF, email: str = "staff@example.org"):
    """A staff member (or admin) signed in with their second factor."""
    user = make_user(email, role=role, totp_secret=STAFF_SECRET)
    browser = app.test_client()
    log_in_with_code(browser, email, STAFF_SECRET)
    return browser, user


def user_row(db, email: str) -> User:
    """The user as the database has it now."""
    db.session.expire_all()
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def test_staff_make_an_account_whose_owner_chooses_the_password(app, db, make_user):
    browser, staff = staff_browser(app, make_user)
    made = post_form(
        browser, "/staff/users", email="Narine@Example.org", display_name="Narine", role="organizer"
    )
    assert made.status_code == 303
    narine = user_row(db, "Narine@example.org")
    assert made.headers["Location"] == f"/staff/users/{narine.id}"
    assert narine.role == Role.ORGANIZER and narine.is_active
    [event] = events(db, "user.created")
    assert (event.actor, event.subject, event.details) == (
        f"user:{staff.id}",
        f"user:{narine.id}",
        {"role": "organizer"},
    )
    [body] = bodies(db, "account-created")
    link = re.search(r"http://localhost(/password/reset/\S+)", body).group(1)
    chosen = post_form(
        app.test_client(), link, password="amber orchard compass 77", confirm="amber orchard compass 77"
    )
    assert chosen.status_code == 200
    assert log_in(app.test_client(), "narine@example.org", "amber orchard compass 77").status_code == 303

    listed = browser.get("/staff/users?q=narine").get_data(as_text=True)
    assert "Narine@example.org" in listed and "staff@example.org" not in listed
    again = post_form(browser, "/staff/users", email="narine@example.org", role="organizer")
    assert again.status_code == 400 and "exists already" in again.get_data(as_text=True)


def test_a_role_change_applies_at_once_and_is_audited(app, db, make_user):
    browser, staff = staff_browser(app, make_user, Role.ADMIN, "admin@example.org")
    make_user("aram@example.org")
    aram = app.test_client()
    log_in(aram, "aram@example.org")
    assert aram.get("/staff/moderation/").status_code == 403
    aram_id = user_row(db, "aram@example.org").id

    page = f"/staff/users/{aram_id}"
    assert post_form(browser, page, action=f"{page}/role", role="staff").status_code == 303

    assert user_row(db, "aram@example.org").role == Role.STAFF
    [event] = events(db, "user.role_changed")
    assert event.actor == f"user:{staff.id}" and event.details == {"old": "organizer", "new": "staff"}
    # Staff sign in with two-factor: the new staff member is sent to enrol before anything else.
    assert aram.get("/staff/moderation/").headers["Location"] == "/account/two-factor?next=/staff/moderation/"


def test_no_one_raises_themselves_or_touches_an_admin_without_being_one(app, db, make_user):
    browser, staff = staff_browser(app, make_user)
    admin = make_user("admin@example.org", role=Role.ADMIN)
    organizer = make_user("aram@example.org")
    own = f"/staff/users/{staff.id}"
    assert post_form(browser, own, action=f"{own}/role", role="admin").status_code == 403
    assert post_form(browser, own, action=f"{own}/disable").status_code == 403
    theirs = f"/staff/users/{organizer.id}"
    refused = post_form(browser, theirs, action=f"{theirs}/role", role="admin")
    assert refused.status_code == 403 and "Only an admin" in refused.get_data(as_text=True)
    admins = f"/staff/users/{admin.id}"
    assert post_form(browser, admins, action=f"{admins}/disable").status_code == 403
    assert post_form(browser, "/staff/users", email="boss@example.org", role="admin").status_code == 403
    assert user_row(db, "staff@example.org").role == Role.STAFF
    assert user_row(db, "aram@example.org").role == Role.ORGANIZER
    assert user_row(db, "admin@example.org").is_active
    assert events(db, "user.role_changed") == [] and events(db, "user.disabled") == []

    # Nor give the staff role, or touch another staff member's account: one staff account taken
    # over cannot make more.
    colleague = make_user("sona@example.org", role=Role.STAFF)
    colleagues = f"/staff/users/{colleague.id}"
    refused = post_form(browser, theirs, action=f"{theirs}/role", role="staff")
    assert refused.status_code == 403 and "Only an admin" in refused.get_data(as_text=True)
    assert post_form(browser, colleagues, action=f"{colleagues}/disable").status_code == 403
    assert post_form(browser, "/staff/users", email="new@example.org", role="staff").status_code == 403
    assert user_row(db, "aram@example.org").role == Role.ORGANIZER
    assert user_row(db, "sona@example.org").is_active
    # Staff still manage organizers.
    assert post_form(browser, theirs, action=f"{theirs}/disable").status_code == 303

    boss, _ = staff_browser(app, make_user, Role.ADMIN, "boss@example.org")
    assert post_form(boss, theirs, action=f"{theirs}/role", role="admin").status_code == 303
    assert user_row(db, "aram@example.org").role == Role.ADMIN


def test_disabling_ends_sessions_and_revokes_tokens_and_enabling_lets_them_back(app, db, make_user):
    browser, staff = staff_browser(app, make_user)
    aram_user = make_user("aram@example.org")
    _, secret = create_token(aram_user, "sync", actor="cli:root")
    db.session.commit()
    aram = app.test_client()
    log_in(aram, "aram@example.org")
    page = f"/staff/users/{aram_user.id}"

    assert post_form(browser, page, action=f"{page}/disable").status_code == 303

    assert aram.get("/account").status_code == 302
    assert log_in(app.test_client(), "aram@example.org").status_code == 401
    assert app.test_client().get("/api/v1/", headers={"OSDI-API-Token": secret}).status_code == 401
    assert db.session.execute(select(ApiToken.revoked_at)).scalar_one() is not None
    [event] = events(db, "user.disabled")
    assert event.actor == f"user:{staff.id}" and event.subject == f"user:{aram_user.id}"

    assert post_form(browser, page, action=f"{page}/enable").status_code == 303
    assert log_in(app.test_client(), "aram@example.org").status_code == 303
    assert [e.action for e in events(db, "user.enabled")] == ["user.enabled"]
    # The page shows what was done to the account, and by whom.
    history = browser.get(page).get_data(as_text=True)
    assert f"{staff.display_name} disabled the account" in history


def test_resetting_two_factor_ends_sessions_and_asks_to_enrol_again(app, db, make_user):
    browser, staff = staff_browser(app, make_user, Role.ADMIN, "admin@example.org")
    lost_phone = pyotp.random_base32()
    make_user("sona@example.org", role=Role.STAFF, totp_secret=lost_phone)
    sona = app.test_client()
    log_in_with_code(sona, "sona@example.org", lost_phone)
    sona_id = user_row(db, "sona@example.org").id
    page = f"/staff/users/{sona_id}"

    assert post_form(browser, page, action=f"{page}/two-factor/reset").status_code == 303

    assert not user_row(db, "sona@example.org").has_two_factor
    assert sona.get("/account").status_code == 302
    assert db.session.execute(select(AccountSession).where(AccountSession.user_id == sona_id)).first() is None
    assert log_in(app.test_client(), "sona@example.org").headers["Location"] == "/account/two-factor"
    [event] = events(db, "user.two_factor_reset")
    assert event.actor == f"user:{staff.id}"
    assert post_form(browser, page, action=f"{page}/two-factor/reset").status_code == 409


def test_only_staff_with_a_fresh_second_factor_reach_the_page(app, db, make_user):
    make_user("aram@example.org")
    organizer = app.test_client()
    log_in(organizer, "aram@example.org")
    assert organizer.get("/staff/users").status_code == 403
    assert app.test_client().get("/staff/users").headers["Location"].startswith("/login")

    browser, _ = staff_browser(app, make_user)
    assert browser.get("/staff/users").status_code == 200
    aram_id = user_row(db, "aram@example.org").id
    page = f"/staff/users/{aram_id}"
    form_page = browser.get(page).get_data(as_text=True)
    age_second_factor(db, "staff@example.org", 3600)

    from tests.support.forms import csrf_token

    stale = browser.post(f"{page}/disable", data={"csrf_token": csrf_token(form_page)})
    assert stale.status_code == 302
    assert stale.headers["Location"] == f"/account/two-factor/verify?next={page}"
    assert user_row(db, "aram@example.org").is_active
    assert browser.get("/staff/users").headers["Location"].startswith("/account/two-factor/verify")


def offered_roles(page: str) -> list[str]:
    """The roles a page's form that posts offers to give (not the list's filter, which searches by any)."""
    page = page.split('<form method="post"', 1)[1]
    return re.findall(
        r'<option (?:selected )?value="(\w+)"', page.split('name="role"', 1)[1].split("</select>", 1)[0]
    )


def test_the_pages_offer_only_the_roles_the_reader_may_give(app, db, make_user):
    """Staff were offered the staff and admin roles, then refused: the pages now offer what is allowed."""
    browser, staff = staff_browser(app, make_user)
    organizer = make_user("aram@example.org")
    colleague = make_user("sona@example.org", role=Role.STAFF)
    assert offered_roles(browser.get(f"/staff/users/{organizer.id}").get_data(as_text=True)) == ["organizer"]
    assert offered_roles(browser.get("/staff/users").get_data(as_text=True)) == ["organizer"]
    # No role form at all on an account they may not manage: a colleague's, or their own.
    for account in (colleague, staff):
        page = browser.get(f"/staff/users/{account.id}").get_data(as_text=True)
        assert f'action="/staff/users/{account.id}/role"' not in page
        assert "Only an admin manages staff and admin accounts" in page

    boss, _ = staff_browser(app, make_user, Role.ADMIN, "boss@example.org")
    offered = offered_roles(boss.get(f"/staff/users/{organizer.id}").get_data(as_text=True))
    assert offered == ["admin", "staff", "organizer"]
