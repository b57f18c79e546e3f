"""Who reaches what: each builder and moderation route, for a visitor, both organizers, staff and an admin.

A campaign of another organization is a 404 (its existence stays private);
staff pages are a 403 to organizers; visitors are sent to sign in. A refused
request changes nothing: the campaign and the audit log stay as they were.
"""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from campaign.audit.models import AuditEvent
from campaign.campaigns.models import Campaign
from campaign.targets.models import LetterCampaign
from tests.support.builder import draft_of, open_campaign, press
from tests.support.forms import csrf_token
from tests.support.images import image_bytes

ROLES = ("visitor", "other_organizer", "staff", "admin", "organizer")
BUILDER = {"visitor": 302, "other_organizer": 404, "staff": 404, "admin": 404}
STAFF_ONLY = {"visitor": 302, "organizer": 403, "other_organizer": 403}
EDIT = {
    "title": "Changed",
    "summary": "S",
    "body_markdown": "B",
    "goal": "9",
    "language": "en",
    "save": "Save",
}

# (method, path after the campaign id is filled in, the campaign's stage, form fields, who is refused how,
#  what the allowed ones get)
LETTER = {"subject_template": "Stop", "body_template": "Dear $official_name", "targeting": "routed"}
NEW = {
    "kind": "petition",
    "title": "Another",
    "summary": "S",
    "body_markdown": "B",
    "goal": "9",
    "language": "en",
    "organization_id": "{organization}",
}

# (method, path (the campaign's id and image filled in), the campaign's stage, form fields,
#  how each refused role is refused, who is allowed (a POST tries one of them), what the allowed get)
ROUTES = [
    ("GET", "/organize/", "draft", {}, {"visitor": 302}, "*", 200),
    ("GET", "/organize/campaigns/new", "draft", {}, {"visitor": 302}, "*", 200),
    (
        "POST",
        "/organize/campaigns/new",
        "draft",
        NEW,
        {"visitor": 302, "other_organizer": 400, "staff": 403, "admin": 403},
        "organizer",
        303,
    ),
    ("GET", "/organize/campaigns/{id}", "draft", {}, BUILDER, "organizer", 200),
    ("GET", "/organize/campaigns/{id}/edit", "draft", {}, BUILDER, "organizer", 200),
    ("POST", "/organize/campaigns/{id}/edit", "draft", EDIT, BUILDER, "organizer", 303),
    ("GET", "/organize/campaigns/{id}/letter", "letter", {}, BUILDER, "organizer", 200),
    ("POST", "/organize/campaigns/{id}/letter", "letter", LETTER, BUILDER, "organizer", 303),
    (
        "POST",
        "/organize/campaigns/{id}/image",
        "draft",
        {"image": "upload", "image_alt": "A banner"},
        BUILDER,
        "organizer",
        303,
    ),
    ("POST", "/organize/campaigns/{id}/image/alt", "draft", {"alt_text": "A"}, BUILDER, "organizer", 303),
    (
        "POST",
        "/organize/campaigns/{id}/contact",
        "open",
        {"contact_email": "news@example.org"},
        BUILDER,
        "organizer",
        303,
    ),
    ("POST", "/organize/campaigns/{id}/image/delete", "draft", {}, BUILDER, "organizer", 303),
    ("POST", "/organize/campaigns/{id}/submit", "draft", {}, BUILDER, "organizer", 303),
    ("POST", "/organize/campaigns/{id}/close", "open", {}, BUILDER, "organizer", 303),
    (
        "POST",
        "/organize/campaigns/{id}/outcome",
        "open",
        {"kind": "victory", "text": "Won.", "confirmed": "yes"},
        BUILDER,
        "organizer",
        303,
    ),
    (
        "GET",
        "/media/campaign-images/{image}",
        "draft",
        {},
        {"visitor": 404, "other_organizer": 404},
        "*",
        200,
    ),
    ("GET", "/staff/moderation/", "in_review", {}, STAFF_ONLY, "*", 200),
    ("GET", "/staff/moderation/{id}", "in_review", {}, STAFF_ONLY, "*", 200),
    *[
        ("POST", path, stage, fields, STAFF_ONLY, who, 303)
        for who in ("staff", "admin")
        for path, stage, fields in [
            ("/staff/moderation/{id}/approve", "in_review", {}),
            ("/staff/moderation/{id}/reject", "in_review", {"reason": "Needs a source, please."}),
            ("/staff/moderation/{id}/take-down", "open", {"reason": "Hateful content here."}),
        ]
    ],
]


def _campaign_in(db, team, stage):
    """A campaign of the organizer's organization in this stage, with an image."""
    if stage == "open":
        campaign = open_campaign(db, team)
    else:
        kind = "letter" if stage == "letter" else "petition"
        campaign = draft_of(db, team.organizer, team.organization, kind=kind)
        page = f"/organize/campaigns/{campaign.id}"
        token = csrf_token(team.organizer.browser.get(page).get_data(as_text=True))
        team.organizer.browser.post(
            f"{page}/image",
            data={"csrf_token": token, "image": (io.BytesIO(image_bytes()), "a.jpg"), "image_alt": "A"},
            content_type="multipart/form-data",
        )
        if stage == "in_review":
            press(team.organizer, page, f"{page}/submit")
    db.session.expire_all()
    return db.session.get(Campaign, campaign.id)


def _browser(team, role):
    """The browser of a role, with a CSRF token of its own session."""
    if role == "visitor":
        return team.visitor, csrf_token(team.visitor.get("/login").get_data(as_text=True))
    browser = getattr(team, role).browser
    return browser, csrf_token(browser.get("/organizations").get_data(as_text=True))


def _snapshot(db, campaign_id):
    """What a refused request must leave unchanged."""
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign_id)
    audited = db.session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()
    letters = db.session.get(LetterCampaign, campaign_id)
    return (
        letters.subject_template if letters else None,
        campaign.status,
        campaign.title,
        campaign.image_name,
        campaign.outcome_kind,
        campaign.updated_at,
        audited,
    )


@pytest.mark.parametrize(("method", "path", "stage", "fields", "refused", "allowed_role", "allowed"), ROUTES)
def test_route_by_role(db, team, method, path, stage, fields, refused, allowed_role, allowed):
    campaign = _campaign_in(db, team, stage)
    url = path.format(id=campaign.id, image=campaign.image_name)
    tried = [role for role in ROLES if role in refused or allowed_role in ("*", role)]
    answers = {}
    for role in tried:
        before = _snapshot(db, campaign.id)
        browser, token = _browser(team, role)
        if method == "GET":
            answer = browser.get(url)
        else:
            data = {"csrf_token": token, **fields}
            if data.get("image") == "upload":
                data["image"] = (io.BytesIO(image_bytes()), "b.jpg")
            if "organization_id" in data:
                data["organization_id"] = str(team.organization.id)
            answer = browser.post(url, data=data, content_type="multipart/form-data")
        answers[role] = answer.status_code
        if role in refused:
            assert _snapshot(db, campaign.id) == before, role
            if answer.status_code == 302:
                assert answer.headers["Location"].startswith("/login?next="), role
    assert answers == {role: refused.get(role, allowed) for role in tried}


def test_the_campaign_list_shows_only_the_users_organizations(db, team):
    campaign = draft_of(db, team.organizer, team.organization, title="Only for Friends of Artsakh")
    assert "Only for Friends of Artsakh" in team.organizer.browser.get("/organize/").get_data(as_text=True)
    for person in (team.other_organizer, team.staff, team.admin):
        page = person.browser.get("/organize/")
        assert page.status_code == 200 and "Only for Friends of Artsakh" not in page.get_data(as_text=True)
    assert team.visitor.get("/organize/").status_code == 302
    assert team.visitor.get(f"/organize/campaigns/{campaign.id + 1000}").status_code == 302
    assert team.organizer.browser.get(f"/organize/campaigns/{campaign.id + 1000}").status_code == 404


@pytest.mark.parametrize(
    ("path", "stage", "fields"),
    [
        (path, stage, fields)
        for method, path, stage, fields, _, who, _ in ROUTES
        if method == "POST" and who == "organizer"
    ],
)
def test_every_builder_form_checks_its_csrf_token(db, team, path, stage, fields):
    # The builder checks CSRF in its forms rather than site-wide (see campaign.builder.routes).
    campaign = _campaign_in(db, team, stage)
    before = _snapshot(db, campaign.id)
    data = {"csrf_token": "forged", **fields, "organization_id": str(team.organization.id)}
    if data.get("image") == "upload":
        data["image"] = (io.BytesIO(image_bytes()), "b.jpg")

    answer = team.organizer.browser.post(
        path.format(id=campaign.id), data=data, content_type="multipart/form-data"
    )

    assert answer.status_code == 400
    assert _snapshot(db, campaign.id) == before
