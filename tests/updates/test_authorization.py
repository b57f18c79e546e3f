"""Every route of updates and the dashboard, for every role, on campaigns of each owner.

Visitors are sent to the login page; organizers reach only their own
organization's campaigns (anyone else's is a 404, as if it did not exist);
staff and admins reach every campaign. A refused request changes nothing.
"""

import pytest
from sqlalchemy import func, select

from campaign.accounts.models import Role
from campaign.updates import service
from campaign.updates.models import Update, UpdateStatus
from tests.support.forms import csrf_token
from tests.support.organizations import make_organization, signed_in
from tests.support.updates import finish_sending

ROLES = ["visitor", "owner", "other_organizer", "staff", "admin"]
# (method, path template, form fields); {c} is the campaign, {u} a fresh draft of it.
ROUTES = [
    ("GET", "/organize/campaigns/{c}/dashboard", None),
    ("GET", "/organize/campaigns/{c}/updates", None),
    ("POST", "/organize/campaigns/{c}/updates", {"subject": "Hijack", "body": "Text"}),
    ("GET", "/organize/campaigns/{c}/updates/{u}", None),
    ("POST", "/organize/campaigns/{c}/updates/{u}/edit", {"subject": "Hijack", "body": "Text"}),
    ("POST", "/organize/campaigns/{c}/updates/{u}/send", {}),
]


def browser_for(app, db, role, owner_org, other_org):
    """A browser for the role: a visitor, a member of either organization, staff or admin."""
    if role == "visitor":
        return app.test_client()
    if role == "owner":
        return signed_in(app, db, "owner@example.org", Role.ORGANIZER, organization=owner_org)
    if role == "other_organizer":
        return signed_in(app, db, "other@example.org", Role.ORGANIZER, organization=other_org)
    return signed_in(app, db, f"{role}@example.org", Role(role))


def expected(role, is_owned_by_owner_org, method):
    """The status the matrix expects."""
    if role == "visitor":
        return 302
    allowed = role in ("staff", "admin") or (role == "owner" and is_owned_by_owner_org)
    if not allowed:
        return 404
    return 200 if method == "GET" else 303


def token_of(browser):
    """A CSRF token of the browser's session (from a page any visitor or user can open)."""
    page = browser.get("/account")
    if page.status_code != 200:
        page = browser.get("/login")
    return csrf_token(page.get_data(as_text=True))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("ownership", ["owner_org", "ownerless"])
def test_every_route_checks_the_campaign_for_every_role(app, db, make_campaign, role, ownership):
    owner_org = make_organization(db, "Owner org")
    other_org = make_organization(db, "Other org")
    campaign = make_campaign(organization_id=owner_org.id if ownership == "owner_org" else None)
    browser = browser_for(app, db, role, owner_org, other_org)
    token = token_of(browser)
    for method, template, fields in ROUTES:
        draft = service.create_draft(campaign, None, "Original", "Body")
        db.session.commit()
        before = db.session.execute(select(func.count()).select_from(Update)).scalar()
        path = template.format(c=campaign.id, u=draft.id)
        if method == "GET":
            answer = browser.get(path)
        else:
            answer = browser.post(path, data={"csrf_token": token, **fields})
        want = expected(role, ownership == "owner_org", method)
        assert answer.status_code == want, (role, ownership, method, path, answer.status_code)
        if want == 302:
            assert answer.headers["Location"].startswith("/login")
        db.session.expire_all()
        stored = db.session.get(Update, draft.id)
        if want in (302, 404):
            after = db.session.execute(select(func.count()).select_from(Update)).scalar()
            assert after == before
            assert (stored.subject, stored.status) == ("Original", UpdateStatus.DRAFT)
        if want == 200:
            assert "Original" in answer.get_data(as_text=True) or "dashboard" in path
    finish_sending(db)


@pytest.mark.parametrize("role", ROLES)
def test_an_update_of_another_campaign_is_a_404_even_for_its_own_organizer(app, db, make_campaign, role):
    owner_org = make_organization(db, "Owner org")
    other_org = make_organization(db, "Other org")
    mine = make_campaign(organization_id=owner_org.id)
    theirs = make_campaign(organization_id=other_org.id)
    foreign = service.create_draft(theirs, None, "Theirs", "Body")
    db.session.commit()
    browser = browser_for(app, db, role, owner_org, other_org)
    answer = browser.get(f"/organize/campaigns/{mine.id}/updates/{foreign.id}")
    assert answer.status_code == (302 if role == "visitor" else 404)
    unknown = browser.get("/organize/campaigns/999999/dashboard")
    assert unknown.status_code == (302 if role == "visitor" else 404)


def test_the_overview_lists_only_the_campaigns_the_user_may_manage(app, db, make_campaign):
    owner_org = make_organization(db, "Owner org")
    other_org = make_organization(db, "Other org")
    make_campaign(title="Ours to run", organization_id=owner_org.id)
    make_campaign(title="Not ours", organization_id=other_org.id)
    organizer = signed_in(app, db, "owner@example.org", Role.ORGANIZER, organization=owner_org)
    html = organizer.get("/organize/overview").get_data(as_text=True)
    assert "Ours to run" in html and "Not ours" not in html
    staff = signed_in(app, db, "staff@example.org", Role.STAFF)
    html = staff.get("/organize/overview").get_data(as_text=True)
    assert "Ours to run" in html and "Not ours" in html
    assert app.test_client().get("/organize/overview").status_code == 302
