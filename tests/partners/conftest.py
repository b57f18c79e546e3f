"""A campaign of the team's organization co-hosted by two partners: "Another Group" (the team's other
organizer owns it) and "Partner B" (an owner of its own), invited and accepted through the pages."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.builder import Person, Team
from tests.support.partners import Cohosted, answer, invite
from tests.support.people import signed_in


@pytest.fixture
def cohosted(app: Any, db: Any, team: Team, make_campaign: Any) -> Cohosted:
    """The campaign with both partners accepted (invited once by name, once by short name)."""
    from campaign.accounts.models import Role
    from campaign.accounts.organizations import create_organization

    browser, user = signed_in(app, db, "partner-b@example.org", Role.ORGANIZER)
    owner_b = Person(browser, user)
    partner_b = create_organization("Partner B", user)
    db.session.commit()
    campaign = make_campaign(
        slug="dont-be-blind", title="Don't be Blind", organization_id=team.organization.id
    )
    assert invite(team.organizer, campaign, "Another Group").status_code == 303
    assert invite(team.organizer, campaign, partner_b.slug).status_code == 303
    assert answer(db, team.other_organizer, campaign, team.other_organization).status_code == 303
    assert answer(db, owner_b, campaign, partner_b).status_code == 303
    db.session.expire_all()
    return Cohosted(team, campaign, team.other_organization, team.other_organizer, partner_b, owner_b)
