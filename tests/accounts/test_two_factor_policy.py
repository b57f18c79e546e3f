"""Two-factor for organizers: owners always, every member when an owner asks it; the gate enforces it."""

from __future__ import annotations

import pyotp
from sqlalchemy import select

from campaign.accounts.models import MemberRole, Membership, Organization
from campaign.audit.models import AuditEvent
from tests.accounts.test_two_factor import enrol
from tests.support.accounts import log_in, log_in_with_code
from tests.support.forms import post_form


def test_an_organizer_who_starts_an_organization_is_sent_to_enrol(client, make_user):
    make_user("ani@example.org")
    log_in(client, "ani@example.org")
    assert client.get("/organize/").status_code == 200
    made = post_form(client, "/organizations", name="Artsakh Relief")
    assert made.status_code == 303
    # Now an owner: nothing but the two-factor pages (and signing out) until enrolled.
    for path in (made.headers["Location"], "/organize/", "/account/tokens/"):
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"] == f"/account/two-factor?next={path}", path
    assert "Please set it up to continue" in client.get("/account/two-factor").get_data(as_text=True)
    enrol(client)
    assert client.get(made.headers["Location"]).status_code == 200


def test_an_owner_asks_it_of_every_member_and_members_are_sent_to_enrol(app, db, make_user):
    secret = pyotp.random_base32()
    owner_user = make_user("owner@example.org", totp_secret=secret)
    member_user = make_user("member@example.org")
    organization = Organization(name="Relief", slug="relief")
    db.session.add(organization)
    db.session.flush()
    db.session.add_all(
        [
            Membership(organization_id=organization.id, user_id=owner_user.id, role=MemberRole.OWNER),
            Membership(organization_id=organization.id, user_id=member_user.id, role=MemberRole.MEMBER),
        ]
    )
    db.session.commit()
    path = f"/organizations/{organization.id}"
    member = app.test_client()
    log_in(member, "member@example.org")
    assert member.get("/organize/").status_code == 200
    # A member cannot change the policy.
    assert post_form(member, "/account", action=f"{path}/two-factor", require="yes").status_code == 403

    owner = app.test_client()
    log_in_with_code(owner, "owner@example.org", secret)
    page = owner.get(path).get_data(as_text=True)
    assert "Ask it of every member" in page
    assert post_form(owner, path, action=f"{path}/two-factor", require="yes").status_code == 303

    blocked = member.get("/organize/")
    assert blocked.status_code == 302 and blocked.headers["Location"] == "/account/two-factor?next=/organize/"
    enrol(member)
    assert member.get("/organize/").status_code == 200
    # While the organization asks it, the member cannot switch it off.
    account = member.get("/account").get_data(as_text=True)
    assert "Turn off two-factor" not in account
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "organization.two_factor")
    ).scalar_one()
    assert event.actor == f"user:{owner_user.id}" and event.details == {"members_need_two_factor": True}

    assert post_form(owner, path, action=f"{path}/two-factor", require="no").status_code == 303
    assert "Turn off two-factor" in member.get("/account").get_data(as_text=True)
