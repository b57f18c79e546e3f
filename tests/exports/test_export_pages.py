"""The staff export pages: ask, watch, download; only staff, only with fresh two-factor, only your own."""

import csv
import io
import re

import pytest

from campaign.accounts.models import Role
from campaign.audit.models import AuditEvent
from campaign.exports.models import Export, ExportStatus
from tests.exports.test_exports import HOSTILE, add_signers
from tests.support.forms import post_form
from tests.support.people import signed_in
from tests.support.waiting import wait_until


@pytest.mark.usefixtures("celery_worker")
def test_staff_export_watch_and_download_an_inert_audited_file(app, db, make_campaign):
    campaign = make_campaign(slug="artsakh", title="Recognize Artsakh")
    add_signers(db, campaign, ["Anahit", *HOSTILE])
    browser, staff = signed_in(app, db, "staff@example.org", Role.STAFF)

    asked = post_form(
        browser,
        "/staff/exports/",
        campaign_id=campaign.id,
        status="validated",
        columns=["given_name", "email"],
    )
    assert asked.status_code == 303
    page_path = asked.headers["Location"]
    export_id = int(re.search(r"/staff/exports/(\d+)", page_path).group(1))

    def done():
        db.session.expire_all()
        return db.session.get(Export, export_id).status == ExportStatus.DONE

    wait_until(done, timeout=20)
    page = browser.get(page_path).get_data(as_text=True)
    assert "Download the file" in page and 'http-equiv="refresh"' not in page
    download = browser.get(f"/staff/exports/{export_id}/download")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment; filename=artsakh-signatures-")
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == ["First name", "Email"]
    assert [row[0] for row in rows[1:]] == ["Anahit", *("'" + name for name in HOSTILE)]
    actions = [(e.actor, e.action) for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions == [(f"user:{staff.id}", "export.requested"), (f"user:{staff.id}", "export.downloaded")]


def test_visitors_cannot_reach_exports_and_organizers_see_none_by_default(app, db, make_campaign):
    make_campaign(slug="private")
    visitor = app.test_client()
    assert visitor.get("/staff/exports/").status_code == 302
    organizer, _ = signed_in(app, db, "organizer@example.org", Role.ORGANIZER)
    page = organizer.get("/staff/exports/")
    assert page.status_code == 200 and "private" not in page.get_data(as_text=True)


def test_one_staff_member_cannot_see_or_download_anothers_export(app, db, make_campaign):
    campaign = make_campaign(slug="shared")
    add_signers(db, campaign, ["Ani"])
    first, _ = signed_in(app, db, "first@example.org", Role.STAFF)
    asked = post_form(
        first, "/staff/exports/", campaign_id=campaign.id, status="validated", columns=["given_name"]
    )
    export_id = int(re.search(r"/staff/exports/(\d+)", asked.headers["Location"]).group(1))
    second, _ = signed_in(app, db, "second@example.org", Role.STAFF)
    assert second.get(f"/staff/exports/{export_id}").status_code == 404
    assert second.get(f"/staff/exports/{export_id}/download").status_code == 404
    assert db.session.query(AuditEvent).filter_by(action="export.downloaded").count() == 0


def test_a_bad_request_comes_back_with_a_reason_and_nothing_recorded(app, db, make_campaign):
    campaign = make_campaign(slug="strict")
    browser, _ = signed_in(app, db, "staff@example.org", Role.STAFF)
    answer = post_form(
        browser,
        "/staff/exports/",
        campaign_id=campaign.id,
        status="validated",
        signed_from="2026-02-01",
        signed_to="2026-01-01",
        columns=["given_name"],
    )
    assert answer.status_code == 400
    assert "The end date is before the start date." in answer.get_data(as_text=True)
    unknown = post_form(
        browser,
        "/staff/exports/",
        campaign_id=campaign.id,
        country="XX",
        status="validated",
        columns=["given_name"],
    )
    assert unknown.status_code == 400 and "Unknown country code" in unknown.get_data(as_text=True)
    assert db.session.query(Export).count() == 0 and db.session.query(AuditEvent).count() == 0


def test_organizers_export_their_organizations_campaigns_only_when_it_allows(app, db, make_campaign):
    from campaign.accounts.organizations import create_organization

    owner, owner_user = signed_in(app, db, "owner@example.org", Role.ORGANIZER)
    ours = create_organization("Ours", owner_user)
    other_org_owner, other_user = signed_in(app, db, "other@example.org", Role.ORGANIZER)
    theirs = create_organization("Theirs", other_user)
    mine = make_campaign(slug="ours", title="Our campaign", organization_id=ours.id)
    other = make_campaign(slug="theirs", title="Their campaign", organization_id=theirs.id)
    add_signers(db, mine, ["Ani"])

    # Until an owner allows it, an organizer sees no campaign to export.
    page = owner.get("/staff/exports/").get_data(as_text=True)
    assert "Our campaign" not in page
    refused = post_form(
        owner, "/staff/exports/", campaign_id=mine.id, status="validated", columns=["given_name"]
    )
    assert refused.status_code == 400 and db.session.query(Export).count() == 0

    allowed = post_form(
        owner, f"/organizations/{ours.id}", action=f"/organizations/{ours.id}/exports", allow="yes"
    )
    assert allowed.status_code == 303
    page = owner.get("/staff/exports/").get_data(as_text=True)
    assert "Our campaign" in page and "Their campaign" not in page
    asked = post_form(
        owner, "/staff/exports/", campaign_id=mine.id, status="validated", columns=["given_name"]
    )
    assert asked.status_code == 303
    # Another organization's campaign is not a choice, even posted by hand.
    foreign = post_form(
        owner, "/staff/exports/", campaign_id=other.id, status="validated", columns=["given_name"]
    )
    assert foreign.status_code == 400
    actions = db.session.query(AuditEvent.action).order_by(AuditEvent.id).all()
    assert [a for (a,) in actions] == ["organization.exports", "export.requested"]
    # A member who is not an owner cannot change the setting.
    assert (
        post_form(
            other_org_owner,
            f"/organizations/{theirs.id}",
            action=f"/organizations/{ours.id}/exports",
            allow="no",
        ).status_code
        == 404
    )
