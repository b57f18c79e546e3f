"""Co-hosting through the pages: an owner invites, the partner's owners accept or decline, the campaign
page shows each accepted partner's name and logo, and an owner removes a partner, audited."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select

from campaign.accounts.models import MemberRole, Membership
from campaign.audit.models import AuditEvent
from campaign.partners.models import CampaignPartner, PartnerStatus
from tests.support.forms import csrf_token, post_form
from tests.support.images import image_bytes
from tests.support.partners import answer, invite
from tests.support.run import forget_caches


def _upload_logo(person: Any, organization: Any) -> Any:
    """An owner uploads the organization's logo on its page."""
    page = f"/organizations/{organization.id}"
    token = csrf_token(person.browser.get(page).get_data(as_text=True))
    return person.browser.post(
        f"{page}/logo",
        data={"csrf_token": token, "logo": (io.BytesIO(image_bytes("PNG")), "logo.png")},
        content_type="multipart/form-data",
    )


def test_an_accepted_partner_is_on_the_page_with_its_logo_and_an_unticked_box(db, team, make_campaign):
    campaign = make_campaign(slug="coalition", organization_id=team.organization.id)
    builder_page = team.organizer.browser.get(f"/organize/campaigns/{campaign.id}").get_data(as_text=True)
    assert f"/organize/campaigns/{campaign.id}/partners" in builder_page
    assert invite(team.organizer, campaign, "another group").status_code == 303

    # Invited is not yet a partner: nothing on the page, and the invitation waits on the partner's page.
    html = team.visitor.get("/campaigns/coalition").get_data(as_text=True)
    assert "Another Group" not in html and 'name="partners"' not in html
    waiting = team.other_organizer.browser.get("/organize/partners").get_data(as_text=True)
    assert f'Friends of Artsakh invites Another Group to co-host "{campaign.title}".' in waiting
    assert _upload_logo(team.other_organizer, team.other_organization).status_code == 303
    assert answer(db, team.other_organizer, campaign, team.other_organization).status_code == 303
    forget_caches()  # as the few seconds a process keeps a campaign's view pass

    page = team.visitor.get("/campaigns/coalition")
    html = page.get_data(as_text=True)
    card = html.split('class="host-card partner-card"')[1].split("</section>")[0]
    db.session.expire_all()
    logo = team.other_organization.logo_name
    assert "Together with" in card and '<span class="host-name">Another Group</span>' in card
    assert f'src="/media/partner-logos/{logo}"' in card
    partner_id = team.other_organization.id
    assert f'<input id="partner-{partner_id}" name="partners" type="checkbox" value="{partner_id}">' in html
    assert f'<label for="partner-{team.other_organization.id}">Another Group may email me</label>' in html
    assert "public" in page.headers["Cache-Control"] and "Set-Cookie" not in page.headers
    served = team.visitor.get(f"/media/partner-logos/{logo}")
    assert served.status_code == 200 and "immutable" in served.headers["Cache-Control"]
    french = team.visitor.get("/campaigns/coalition?lang=fr").get_data(as_text=True)
    assert 'name="partners"' in french


def test_a_declined_invitation_puts_nothing_on_the_page(db, team, make_campaign):
    campaign = make_campaign(slug="declined", organization_id=team.organization.id)
    assert invite(team.organizer, campaign, "another-group").status_code == 303
    assert answer(db, team.other_organizer, campaign, team.other_organization, "decline").status_code == 303
    assert "Another Group" not in team.visitor.get("/campaigns/declined").get_data(as_text=True)
    actions = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions == ["partner.invited", "partner.declined"]
    # Answered once: a second answer changes nothing.
    partnership = db.session.execute(select(CampaignPartner)).scalar_one()
    browser = team.other_organizer.browser
    token = csrf_token(browser.get("/organizations").get_data(as_text=True))
    again = browser.post(f"/organize/partners/{partnership.id}/accept", data={"csrf_token": token})
    assert again.status_code == 409


def test_an_owner_removes_a_partner_audited_and_it_leaves_the_page(db, cohosted):
    team, campaign = cohosted.team, cohosted.campaign
    assert "Partner B" in team.visitor.get("/campaigns/dont-be-blind").get_data(as_text=True)
    page = f"/organize/campaigns/{campaign.id}/partners"
    removed = post_form(team.organizer.browser, page, f"{page}/{cohosted.partner_b.id}/remove")
    assert removed.status_code == 303
    forget_caches()

    html = team.visitor.get("/campaigns/dont-be-blind").get_data(as_text=True)
    assert "Partner B" not in html and "Another Group may email me" in html
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "partner.removed")).scalar_one()
    assert event.actor == f"user:{team.organizer.user.id}" and event.subject == f"campaign:{campaign.id}"
    assert event.details == {"organization_id": cohosted.partner_b.id}
    db.session.expire_all()
    statuses = dict(db.session.execute(select(CampaignPartner.organization_id, CampaignPartner.status)).all())
    assert statuses == {
        cohosted.partner_a.id: PartnerStatus.ACCEPTED,
        cohosted.partner_b.id: PartnerStatus.REMOVED,
    }
    assert "Removed" in team.organizer.browser.get(page).get_data(as_text=True)
    # Invited again after its removal, it must accept again.
    assert invite(team.organizer, campaign, "Partner B").status_code == 303
    db.session.expire_all()
    assert db.session.get(CampaignPartner, 2).status == PartnerStatus.INVITED


def test_only_owners_invite_remove_and_answer(db, cohosted, app):
    from campaign.accounts.models import Role
    from tests.support.people import signed_in

    team, campaign = cohosted.team, cohosted.campaign
    page = f"/organize/campaigns/{campaign.id}/partners"
    member_browser, member = signed_in(app, db, "member@example.org", Role.ORGANIZER)
    db.session.add(
        Membership(organization_id=team.organization.id, user_id=member.id, role=MemberRole.MEMBER)
    )
    db.session.add(
        Membership(organization_id=cohosted.partner_b.id, user_id=member.id, role=MemberRole.MEMBER)
    )
    db.session.commit()

    # A member of the campaign's organization sees its partners, but neither invites nor removes.
    seen = member_browser.get(page)
    assert seen.status_code == 200 and "Only an owner of Friends of Artsakh" in seen.get_data(as_text=True)
    token = csrf_token(member_browser.get("/organizations").get_data(as_text=True))
    assert member_browser.post(page, data={"csrf_token": token, "organization": "Nobody"}).status_code == 403
    remove = f"{page}/{cohosted.partner_a.id}/remove"
    assert member_browser.post(remove, data={"csrf_token": token}).status_code == 403
    # Another organization's organizer does not even see the campaign.
    outsider = team.other_organizer.browser
    assert outsider.get(f"/organize/campaigns/{campaign.id}/edit").status_code in (403, 404)
    other_token = csrf_token(outsider.get("/organizations").get_data(as_text=True))
    assert outsider.get(page).status_code == 404
    assert (
        outsider.post(page, data={"csrf_token": other_token, "organization": "Partner B"}).status_code == 404
    )
    assert outsider.post(remove, data={"csrf_token": other_token}).status_code == 404

    # An invitation is answered by the invited organization's owners only.
    assert invite(team.organizer, campaign, "Partner B").status_code == 400  # already a partner
    post_form(team.organizer.browser, page, f"{page}/{cohosted.partner_b.id}/remove")
    assert invite(team.organizer, campaign, "Partner B").status_code == 303
    partnership = db.session.execute(
        select(CampaignPartner).where(CampaignPartner.organization_id == cohosted.partner_b.id)
    ).scalar_one()
    accept = f"/organize/partners/{partnership.id}/accept"
    assert member_browser.post(accept, data={"csrf_token": token}).status_code == 403
    assert outsider.post(accept, data={"csrf_token": other_token}).status_code == 404
    assert (
        outsider.post("/organize/partners/99999999999/accept", data={"csrf_token": other_token}).status_code
        == 404
    )
    assert (
        db.session.execute(select(AuditEvent).where(AuditEvent.actor == f"user:{member.id}")).first() is None
    )


def test_an_invitation_names_an_existing_other_organization(db, team, make_campaign):
    campaign = make_campaign(slug="lonely", organization_id=team.organization.id)
    unknown = invite(team.organizer, campaign, "No Such Group")
    assert unknown.status_code == 400
    assert "No organization has this name or short name." in unknown.get_data(as_text=True)
    own = invite(team.organizer, campaign, "Friends of Artsakh")
    assert own.status_code == 400 and "already runs the campaign" in own.get_data(as_text=True)
    blank = invite(team.organizer, campaign, "  ")
    assert blank.status_code == 400
    assert db.session.execute(select(CampaignPartner)).first() is None
