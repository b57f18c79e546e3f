"""Every page behind a sign-in, for every kind of visitor: nobody reaches what is not theirs.

The routes are read from the app itself, so a page added later is checked too.
Each is opened (GET) for a campaign of organization A, as a visitor, as an
organizer of organization B, as an organizer of A, and as staff.
"""

import re

import pytest

from campaign.accounts.models import Role
from campaign.accounts.organizations import create_organization
from tests.support.forms import csrf_token
from tests.support.people import signed_in

PROTECTED = ("/organize", "/staff", "/account", "/organizations")
# Pages that are the user's own (their account, their lists) rather than an object's.
OWN_PAGES = re.compile(
    r"^/(account|organizations|organize/?$|organize/overview|organize/campaigns/new"
    r"|staff/exports/?$|organize/partners/?$)"
)


def protected_get_routes(app):
    """(rule, path with ids filled in) of every GET page behind a sign-in."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith(PROTECTED):
            continue
        yield rule


def fill(rule, campaign_id):
    """The rule's path with the campaign's id for every number (other objects: 1, someone else's)."""
    path = rule.rule
    for argument in rule.arguments:
        value = campaign_id if argument == "campaign_id" else 1
        path = re.sub(rf"<(?:[^:<>]+:)?{argument}>", str(value), path)
    return path


@pytest.fixture
def world(app, db, make_campaign):
    """Organization A with a campaign, organization B, and a browser for each kind of person."""
    # Owners sign in with two-factor.
    owner_a, user_a = signed_in(app, db, "a@example.org", Role.ORGANIZER)
    owner_b, user_b = signed_in(app, db, "b@example.org", Role.ORGANIZER)
    org_a = create_organization("A", user_a)
    create_organization("B", user_b)
    campaign = make_campaign(slug="of-a", organization_id=org_a.id)
    db.session.commit()
    staff, _ = signed_in(app, db, "staff@example.org", Role.STAFF)
    return {"campaign": campaign, "a": owner_a, "b": owner_b, "staff": staff, "visitor": app.test_client()}


def test_every_protected_page_refuses_visitors_and_other_organizations(app, world):
    checked = 0
    for rule in protected_get_routes(app):
        path = fill(rule, world["campaign"].id)
        visitor = world["visitor"].get(path)
        assert visitor.status_code in (302, 401, 404), (path, visitor.status_code)
        if visitor.status_code == 302:
            assert visitor.headers["Location"].startswith("/login"), path
        if OWN_PAGES.match(path):
            continue
        outsider = world["b"].get(path)
        # Refused, or first sent to give a second factor (which would then refuse): never the page.
        sent_to_verify = outsider.status_code == 302 and outsider.headers["Location"].startswith(
            ("/login", "/account/two-factor")
        )
        assert outsider.status_code in (403, 404) or sent_to_verify, (path, outsider.status_code)
        checked += 1
    assert checked >= 10


def test_the_owning_organization_reaches_its_campaigns_pages(app, world):
    reached = 0
    for rule in protected_get_routes(app):
        if rule.rule.startswith("/organize/campaigns/<") and rule.arguments == {"campaign_id"}:
            path = fill(rule, world["campaign"].id)
            answer = world["a"].get(path)
            # 404: not a letter campaign; 409: an open campaign is no longer edited
            assert answer.status_code in (200, 404, 409), (path, answer.status_code)
            reached += answer.status_code == 200
    assert reached >= 3


# What changes people's access (accounts, members, invitations): POSTs, checked like the pages.
PEOPLE_ACTIONS = re.compile(r"^/(staff/users|organizations/<int:organization_id>/(members|invitations))")


def post_as(browser, form_page, path):
    """Post to a path with a valid form token (taken from a page the browser may open)."""
    return browser.post(path, data={"csrf_token": csrf_token(browser.get(form_page).get_data(as_text=True))})


def test_changing_people_is_refused_to_those_who_may_not(app, world):
    """Each POST that acts on accounts, members or invitations, with a valid form: a visitor is sent to
    sign in, an organizer of another organization is refused (the staff pages refuse every organizer)."""
    ids = {"organization_id": world["campaign"].organization_id}
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or not PEOPLE_ACTIONS.match(rule.rule):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = re.sub(rf"<(?:[^:<>]+:)?{argument}>", str(ids.get(argument, 1)), path)
        answer = post_as(world["visitor"], "/login", path)
        assert answer.status_code in (302, 401), (path, answer.status_code)
        if answer.status_code == 302:
            assert answer.headers["Location"].startswith("/login"), path
        answer = post_as(world["b"], "/account", path)
        assert answer.status_code in (403, 404), (path, answer.status_code)
        if rule.rule.startswith("/staff/"):
            assert post_as(world["a"], "/account", path).status_code == 403, path
        checked += 1
    assert checked >= 9
