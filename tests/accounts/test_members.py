"""An organization's owners remove members and withdraw invitations; never its last owner; audited."""

from __future__ import annotations

import re

from campaign.accounts.models import MemberRole, Membership
from tests.support.accounts import log_in
from tests.support.audit import events
from tests.support.forms import post_form
from tests.support.organizations import join
from tests.support.outbox import bodies


def is_member(db, organization, user) -> bool:
    """Tell whether the user is (still) a member of the organization."""
    db.session.expire_all()
    return db.session.get(Membership, (organization.id, user.id)) is not None


def test_an_owner_removes_a_member_who_then_sees_nothing(app, db, team, make_user):
    sona = make_user("sona@example.org")
    join(db, sona, team.organization)
    member = app.test_client()
    log_in(member, "sona@example.org")
    page = f"/organizations/{team.organization.id}"
    assert member.get(page).status_code == 200
    assert "Remove Sona" in team.organizer.browser.get(page).get_data(as_text=True)

    removed = post_form(team.organizer.browser, page, action=f"{page}/members/{sona.id}/remove")

    assert removed.status_code == 303
    assert "Sona is no longer a member." in team.organizer.browser.get(page).get_data(as_text=True)
    assert not is_member(db, team.organization, sona)
    assert member.get(page).status_code == 404
    [event] = events(db, "organization.member_removed")
    assert (event.actor, event.subject, event.details) == (
        f"user:{team.organizer.user.id}",
        f"organization:{team.organization.id}",
        {"user": f"user:{sona.id}", "role": "member"},
    )


def test_the_last_owner_cannot_be_removed_but_one_of_two_can_leave(app, db, team, make_user):
    owner = team.organizer
    page = f"/organizations/{team.organization.id}"
    html = owner.browser.get(page).get_data(as_text=True)
    assert f"/members/{owner.user.id}/remove" not in html
    assert "The only owner cannot be removed" in html

    refused = post_form(owner.browser, page, action=f"{page}/members/{owner.user.id}/remove")

    assert refused.status_code == 409
    assert "keeps at least one owner" in refused.get_data(as_text=True)
    assert is_member(db, team.organization, owner.user)
    assert events(db, "organization.member_removed") == []

    second = make_user("vahe@example.org")
    join(db, second, team.organization, MemberRole.OWNER)
    left = post_form(owner.browser, page, action=f"{page}/members/{owner.user.id}/remove")
    assert left.status_code == 303
    assert not is_member(db, team.organization, owner.user)


def test_members_and_outsiders_remove_no_one_and_withdraw_nothing(app, db, team, make_user):
    sona = make_user("sona@example.org")
    join(db, sona, team.organization)
    member = app.test_client()
    log_in(member, "sona@example.org")
    page = f"/organizations/{team.organization.id}"
    owner_id = team.organizer.user.id
    assert "/remove" not in member.get(page).get_data(as_text=True)

    assert post_form(member, "/account", action=f"{page}/members/{owner_id}/remove").status_code == 403
    outsider = team.other_organizer.browser
    assert post_form(outsider, "/account", action=f"{page}/members/{sona.id}/remove").status_code == 404
    assert post_form(outsider, "/account", action=f"{page}/invitations/1/revoke").status_code == 404
    assert is_member(db, team.organization, sona) and is_member(db, team.organization, team.organizer.user)
    # Someone who is not a member is not removed from anything.
    stranger = make_user("stranger@example.org")
    assert (
        post_form(team.organizer.browser, page, action=f"{page}/members/{stranger.id}/remove").status_code
        == 404
    )


def test_a_withdrawn_invitation_link_says_so(app, db, team):
    owner = team.organizer.browser
    page = f"/organizations/{team.organization.id}"
    assert post_form(owner, page, action=f"{page}/invitations", email="new@example.org").status_code == 303
    [body] = bodies(db, "invitation")
    link = re.search(r"http://localhost(/invitations/\S+)", body).group(1)
    html = owner.get(page).get_data(as_text=True)
    button = re.search(r'action="([^"]+/revoke)"', html).group(1)
    assert "Withdraw the invitation to new@example.org" in html

    withdrawn = post_form(owner, page, action=button)

    assert withdrawn.status_code == 303
    html = owner.get(page).get_data(as_text=True)
    assert "The invitation to new@example.org is withdrawn" in html and "Invitations waiting" not in html
    answer = app.test_client().get(link)
    assert answer.status_code == 400
    assert "Friends of Artsakh withdrew this invitation" in answer.get_data(as_text=True)
    [event] = events(db, "organization.invitation_revoked")
    invitation_id = int(button.split("/")[-2])
    assert (event.actor, event.subject, event.details) == (
        f"user:{team.organizer.user.id}",
        f"invitation:{invitation_id}",
        {"organization": team.organization.id},
    )
    # Withdrawn once: a second press finds nothing to withdraw.
    assert post_form(owner, page, action=button).status_code == 404
