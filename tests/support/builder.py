"""The builder's people (organizers of two organizations, staff, an admin) and its steps through its pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.forms import post_form

# The builder's new-campaign form, filled in as an organizer would.
DRAFT_FORM = {
    "kind": "petition",
    "title": "Recognize the Republic of Artsakh",
    "summary": "Ask our parliament to recognize Artsakh.",
    "body_markdown": "Parliament should **recognize** Artsakh.",
    "goal": "500",
    "language": "en",
    "save": "Create the draft",
}


@dataclass
class Person:
    """A signed-in browser and its user."""

    browser: Any
    user: Any


@dataclass
class Team:
    """Everyone the tests need: two organizations' organizers, staff, an admin and a visitor."""

    organizer: Person
    other_organizer: Person
    staff: Person
    admin: Person
    visitor: Any
    organization: Any
    other_organization: Any


def new_campaign(person: Person, organization: Any, **fields: Any) -> Any:
    """Create a draft through the builder's form; answer the response."""
    share_text = "I signed: recognize Artsakh now."
    values = {**DRAFT_FORM, "organization_id": organization.id, "share_text": share_text, **fields}
    return post_form(person.browser, "/organize/campaigns/new", **values)


def campaign_id_of(response: Any) -> int:
    """The campaign id in a builder redirect."""
    location = response.headers["Location"]
    return int(location.split("/organize/campaigns/")[1].split("/")[0])


def draft_of(db: Any, person: Person, organization: Any, **fields: Any) -> Any:
    """A draft created through the builder, as a model row."""
    from campaign.campaigns.models import Campaign

    response = new_campaign(person, organization, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    return db.session.get(Campaign, campaign_id_of(response))


def press(person: Person, page: str, action: str, **fields: Any) -> Any:
    """Open a page and press one of its buttons (a POST with the page's CSRF token)."""
    return post_form(person.browser, page, action, **fields)


# A letter campaign's letter, written as an organizer would before submitting it.
LETTER_FORM = {
    "subject_template": "Please recognize Artsakh",
    "body_template": "Dear $official_name,\n\nPlease recognize Artsakh.\n\n$message\n\n$name, $place",
    "targeting": "routed",
}


def open_campaign(db: Any, team: Team, **fields: Any) -> Any:
    """A campaign written by the organizer (its letter too), submitted and approved by staff."""
    campaign = draft_of(db, team.organizer, team.organization, **fields)
    page = f"/organize/campaigns/{campaign.id}"
    if campaign.is_letter:
        assert post_form(team.organizer.browser, f"{page}/letter", **LETTER_FORM).status_code == 303
    assert press(team.organizer, page, f"{page}/submit").status_code == 303
    review = f"/staff/moderation/{campaign.id}"
    assert press(team.staff, review, f"{review}/approve").status_code == 303
    db.session.expire_all()
    return campaign


def staff_reviewed_member(app: Any, db: Any, team: Team) -> Person:
    """A member (not an owner) of the organizer's organization, whose members' changes staff now approve."""
    from campaign.accounts.models import ChangeReview, MemberRole, Membership, Role
    from tests.support.people import signed_in

    person = Person(*signed_in(app, db, "member@example.org", Role.ORGANIZER, two_factor=False))
    db.session.add(
        Membership(organization_id=team.organization.id, user_id=person.user.id, role=MemberRole.MEMBER)
    )
    team.organization.change_review = ChangeReview.STAFF
    db.session.commit()
    return person
