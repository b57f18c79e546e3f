"""Organizations: their owners invite people by email; outsiders see nothing."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from campaign.accounts.models import MemberRole, Membership, Organization, User
from tests.support.accounts import log_in, log_in_with_code
from tests.support.forms import post_form

NEW_PASSWORD = "amber orchard compass 77"
# Owners sign in with two-factor (each test's owner uses this authenticator).
OWNER_SECRET = pyotp.random_base32()


def create_organization(client, name: str = "Artsakh Relief") -> str:
    """Create an organization through the page; return its path."""
    answer = post_form(client, "/organizations", name=name)
    assert answer.status_code == 303
    return answer.headers["Location"]


def test_an_invitation_arrives_by_email_and_makes_a_member(
    db, app, client, make_user, mailbox, celery_worker
):
    make_user("owner@example.org", totp_secret=OWNER_SECRET)
    log_in_with_code(client, "owner@example.org", OWNER_SECRET)
    organization_path = create_organization(client)
    invited = post_form(
        client, organization_path, action=organization_path + "/invitations", email="new@example.org"
    )
    assert invited.status_code == 303
    assert "new@example.org" in client.get(organization_path).get_data(as_text=True)

    [message] = mailbox.wait_for("new@example.org")
    assert "Artsakh Relief" in message["Subject"]
    path = re.search(r"http://localhost(/invitations/\S+)", message.get_content()).group(1)

    newcomer = app.test_client()
    joined = post_form(newcomer, path, display_name="Sona", password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert joined.status_code == 303
    assert joined.headers["Location"] == organization_path
    assert "Sona" in newcomer.get(organization_path).get_data(as_text=True)
    membership = db.session.execute(
        select(Membership).join(User).where(User.email == "new@example.org")
    ).scalar_one()
    assert membership.role == MemberRole.MEMBER
    # The link worked once.
    assert app.test_client().get(path).status_code == 400


def test_an_existing_user_accepts_when_signed_in_with_the_invited_address(
    db, app, client, make_user, mailbox, celery_worker
):
    make_user("owner@example.org", totp_secret=OWNER_SECRET)
    make_user("sona@example.org")
    make_user("other@example.org")
    log_in_with_code(client, "owner@example.org", OWNER_SECRET)
    organization_path = create_organization(client)
    post_form(
        client,
        organization_path,
        action=organization_path + "/invitations",
        email="sona@example.org",
        role="owner",
    )
    # A sent message leaves no text in the outbox: the link is read from the email.
    [message] = mailbox.wait_for("sona@example.org")
    path = re.search(r"http://localhost(/invitations/\S+)", message.get_content()).group(1)

    anonymous = app.test_client().get(path)
    assert "Sign in to accept" in anonymous.get_data(as_text=True)

    someone_else = app.test_client()
    log_in(someone_else, "other@example.org")
    assert post_form(someone_else, path).status_code == 403

    sona = app.test_client()
    log_in(sona, "sona@example.org", next_path=path)
    assert post_form(sona, path).status_code == 303
    role = db.session.execute(
        select(Membership.role).join(User).where(User.email == "sona@example.org")
    ).scalar_one()
    assert role == MemberRole.OWNER


def test_outsiders_see_nothing_and_members_cannot_invite(db, app, client, make_user):
    make_user("owner@example.org", totp_secret=OWNER_SECRET)
    make_user("outsider@example.org")
    log_in_with_code(client, "owner@example.org", OWNER_SECRET)
    organization_path = create_organization(client)

    outsider = app.test_client()
    log_in(outsider, "outsider@example.org")
    assert outsider.get(organization_path).status_code == 404
    assert (
        post_form(
            outsider, "/organizations", action=organization_path + "/invitations", email="x@example.org"
        ).status_code
        == 404
    )

    organization = db.session.execute(select(Organization)).scalar_one()
    outsider_user = db.session.execute(select(User).where(User.email == "outsider@example.org")).scalar_one()
    db.session.add(
        Membership(organization_id=organization.id, user_id=outsider_user.id, role=MemberRole.MEMBER)
    )
    db.session.commit()
    assert outsider.get(organization_path).status_code == 200
    assert (
        post_form(
            outsider, "/organizations", action=organization_path + "/invitations", email="x@example.org"
        ).status_code
        == 403
    )


def test_a_bad_invitation_address_gets_a_message(client, make_user):
    make_user("owner@example.org", totp_secret=OWNER_SECRET)
    log_in_with_code(client, "owner@example.org", OWNER_SECRET)
    organization_path = create_organization(client)
    answer = post_form(
        client, organization_path, action=organization_path + "/invitations", email="not an address"
    )
    assert answer.status_code == 400
    assert "Please check the email address" in answer.get_data(as_text=True)


def test_a_forged_invitation_link_is_refused(client):
    assert client.get("/invitations/forged").status_code == 400
