"""The staff export pages: ask, watch, download; only staff, only with fresh two-factor, only your own."""

import csv
import io
import re

import pytest

from campaign.accounts.models import Role
from campaign.audit.models import AuditEvent
from campaign.exports.models import Export, ExportStatus
from tests.accounts.conftest import post_form
from tests.conftest import wait_until
from tests.exports.test_exports import HOSTILE, add_signers
from tests.support.people import signed_in


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


def test_organizers_and_visitors_cannot_reach_exports(app, db, make_campaign):
    make_campaign(slug="private")
    visitor = app.test_client()
    assert visitor.get("/staff/exports/").status_code == 302
    organizer, _ = signed_in(app, db, "organizer@example.org", Role.ORGANIZER, two_factor=False)
    assert organizer.get("/staff/exports/").status_code == 403


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
