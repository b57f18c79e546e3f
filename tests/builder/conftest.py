"""Fixtures for the builder and moderation tests: organizers of two organizations, staff, an admin."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.accounts.conftest import post_form
from tests.support.people import signed_in


@pytest.fixture(autouse=True)
def fresh_limits(app: Any) -> Iterator[None]:
    """Forget the rate limiter's counts after each test (every test signs several people in)."""
    yield
    from campaign.extensions import limiter

    limiter.reset()


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


@pytest.fixture
def team(app: Any, db: Any) -> Team:
    """Sign in one person of each role; each organizer runs an organization of their own."""
    from campaign.accounts.models import Role
    from campaign.accounts.organizations import create_organization

    # Owners sign in with two-factor, and their changes to approved campaigns ask for it.
    organizer = Person(*signed_in(app, db, "ani@example.org", Role.ORGANIZER))
    other = Person(*signed_in(app, db, "mallory@example.org", Role.ORGANIZER))
    staff = Person(*signed_in(app, db, "staff@example.org", Role.STAFF))
    admin = Person(*signed_in(app, db, "admin@example.org", Role.ADMIN))
    organization = create_organization("Friends of Artsakh", organizer.user)
    other_organization = create_organization("Another Group", other.user)
    db.session.commit()
    return Team(organizer, other, staff, admin, app.test_client(), organization, other_organization)


def new_campaign(person: Person, organization: Any, **fields: Any) -> Any:
    """Create a draft through the builder's form; answer the response."""
    values = {
        "organization_id": organization.id,
        "kind": "petition",
        "title": "Recognize the Republic of Artsakh",
        "summary": "Ask our parliament to recognize Artsakh.",
        "body_markdown": "Parliament should **recognize** Artsakh.",
        "goal": "500",
        "language": "en",
        "share_text": "I signed: recognize Artsakh now.",
        "save": "Create the draft",
    }
    values.update(fields)
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


def open_campaign(db: Any, team: Team, **fields: Any) -> Any:
    """A campaign written by the organizer, submitted and approved by staff."""
    campaign = draft_of(db, team.organizer, team.organization, **fields)
    page = f"/organize/campaigns/{campaign.id}"
    assert press(team.organizer, page, f"{page}/submit").status_code == 303
    review = f"/staff/moderation/{campaign.id}"
    assert press(team.staff, review, f"{review}/approve").status_code == 303
    db.session.expire_all()
    return campaign


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), exif: bool = False) -> bytes:
    """A small image in this format, with a GPS position and a camera serial in its EXIF if asked."""
    from PIL import Image

    image = Image.new("RGB", size, (200, 30, 30))
    out = io.BytesIO()
    options: dict[str, Any] = {}
    if exif:
        data = Image.Exif()
        data[0xA431] = "SERIAL-12345"  # BodySerialNumber
        data[0x010F] = "SpyCam"  # Make
        gps = {1: "N", 2: (40.0, 10.0, 0.0), 3: "E", 4: (44.0, 30.0, 0.0)}
        data[0x8825] = gps
        options["exif"] = data.tobytes()
    image.save(out, format=fmt, **options)
    return out.getvalue()
