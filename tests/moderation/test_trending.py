"""The hourly trending report: a flood from one range or domain is named to staff by email, and forgotten."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from campaign import clock, dispatch
from campaign.accounts.models import Role
from campaign.moderation import trending
from campaign.moderation.models import TrendingGroup, TrendingKind, TrendingReport
from campaign.privacy import retention, vault
from campaign.signing import email_domains, floods
from campaign.signing.models import Signature, SignatureStatus
from tests.support.forms import csrf_token
from tests.support.people import signed_in
from tests.support.signers import add_signatures_in_bulk

FLOOD_RANGE = "203.0.113.0/24"
FLOOD_DOMAIN = "flood.example"


@dataclass
class Browsers:
    """Signed-in browsers: staff, an admin, an organizer; and a visitor."""

    staff: Any
    staff_user: Any
    admin: Any
    organizer: Any
    visitor: Any


@pytest.fixture
def people(app: Any, db: Any) -> Browsers:
    """A staff member and an admin (two-factor given), an organizer, and a visitor."""
    staff, staff_user = signed_in(app, db, "staff@example.org", Role.STAFF)
    admin, _ = signed_in(app, db, "admin@example.org", Role.ADMIN)
    organizer, _ = signed_in(app, db, "ani@example.org", Role.ORGANIZER, two_factor=False)
    return Browsers(staff, staff_user, admin, organizer, app.test_client())


def add_flood(
    db: Any,
    campaign_id: int,
    count: int,
    *,
    network: str = FLOOD_RANGE,
    domain: str = FLOOD_DOMAIN,
    at: datetime | None = None,
    status: SignatureStatus = SignatureStatus.VALIDATED,
    prefix: str = "bot",
) -> list[int]:
    """Signatures from one address range and one email domain, marked as the sign path marks them."""
    rows = [{"email": f"{prefix}-{i}@{domain}", "created_at": at or clock.now()} for i in range(count)]
    ids = add_signatures_in_bulk(db, campaign_id, rows, status)
    db.session.execute(
        update(Signature)
        .where(Signature.id.in_(ids))
        .values(
            client_range_hash=floods.range_hash(network),
            client_range_sealed=vault.seal([network], purpose=floods.RANGE_PURPOSE, organization_id=None),
            email_domain_index=email_domains.domain_index(domain),
        )
    )
    db.session.commit()
    return ids


def last_hour() -> datetime:
    """A moment in the last full clock hour (the one the report covers), after waiting out an hour's turn."""
    now = clock.now()
    if now.minute == 59 and now.second >= 45:
        # The worker must see the same last hour as the test: wait until the next one begins.
        time.sleep(61 - now.second)
    start, _ = trending.window_before(clock.now())
    return start + timedelta(minutes=30)


@pytest.mark.usefixtures("celery_worker")
def test_a_flood_is_emailed_to_staff_named_by_its_range_and_domain(db, people, mailbox, make_campaign):
    campaign = make_campaign(slug="artsakh", title="Recognize Artsakh")
    moment = last_hour()
    add_flood(db, campaign.id, 90, at=moment, status=SignatureStatus.FRAUDULENT)
    add_flood(db, campaign.id, 30, at=moment, prefix="late-bot")
    # The same range this hour is the next report's business; a few people elsewhere never trend.
    add_flood(db, campaign.id, 10, at=clock.now() + timedelta(hours=1), prefix="next")
    add_flood(db, campaign.id, 5, at=moment, network="198.51.100.0/24", domain="example.org", prefix="ani")

    dispatch.publish(trending.REPORT_TASK, ())

    [to_staff] = mailbox.wait_for("staff@example.org")
    [to_admin] = mailbox.wait_for("admin@example.org")
    body = to_staff.get_content()
    assert "1 address range, 1 email domain" in to_staff["Subject"]
    assert (
        f"Address range {FLOOD_RANGE}: 120 signatures (90 already marked fraudulent), Recognize Artsakh"
        in body
    )
    assert f"Email domain {FLOOD_DOMAIN}: 120 signatures" in body
    assert "198.51.100" not in body and "example.org:" not in body
    report = db.session.execute(select(TrendingReport)).scalar_one()
    assert f"http://localhost/staff/moderation/fraud/reports/{report.id}" in body
    assert to_admin.get_content() == body
    assert not mailbox.to("ani@example.org")
    # Only the groups over the threshold are named and kept.
    groups = db.session.execute(select(TrendingGroup).order_by(TrendingGroup.id)).scalars().all()
    assert [(g.kind, g.label, g.campaign_id, g.signatures, g.fraudulent) for g in groups] == [
        (TrendingKind.RANGE, FLOOD_RANGE, campaign.id, 120, 90),
        (TrendingKind.DOMAIN, FLOOD_DOMAIN, campaign.id, 120, 90),
    ]

    # Running it again in the same hour changes nothing and mails no one again.
    assert trending.report_last_hour() is None
    db.session.commit()
    assert db.session.execute(select(TrendingReport)).scalars().all() == [report]


def test_a_flood_through_the_sign_form_trends_and_what_got_through_is_counted_for_invalidation(
    client, db, make_campaign
):
    from campaign.moderation import invalidation
    from campaign.moderation.criteria import Criteria

    campaign = make_campaign(slug="flooded")
    for n in range(55):
        # Eleven hosts of one /24, five signatures each: under the per-address rule, over the range's.
        where = {"REMOTE_ADDR": f"203.0.113.{n // 5 + 1}"}
        page = client.get("/campaigns/flooded", environ_base=where)
        form = {
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "given_name": "Bot",
            "family_name": "Net",
            "email": f"bot{n}@bots.example",
            "country": "AM",
        }
        assert client.post("/campaigns/flooded/sign", data=form, environ_base=where).status_code == 303
    db.session.expire_all()
    marked = db.session.execute(select(Signature.status)).scalars().all()
    caught = marked.count(SignatureStatus.FRAUDULENT)
    assert 0 < caught < 55

    report = trending.report_last_hour(now=clock.now() + timedelta(hours=1))
    db.session.commit()
    assert report is not None
    assert [(g.kind, g.label, g.campaign_id, g.signatures, g.fraudulent) for g in report.groups] == [
        (TrendingKind.RANGE, FLOOD_RANGE, campaign.id, 55, caught)
    ]
    # What the rules let through (pending, never confirmed) is what invalidating the range would take.
    job = invalidation.new_job(Criteria.build(address_range=FLOOD_RANGE), actor="test", user_id=None)
    db.session.commit()
    assert invalidation.count_job(job.id) == 55 - caught


def test_staff_review_a_report_and_go_from_a_group_to_its_invalidation(db, people, make_campaign):
    campaign = make_campaign(title="Suspend arms exports")
    add_flood(db, campaign.id, 60, at=last_hour())
    report = trending.report_last_hour()
    db.session.commit()
    assert report is not None

    index = people.staff.get("/staff/moderation/fraud/")
    assert index.status_code == 200 and index.headers["Cache-Control"] == "no-store"
    page = people.staff.get(f"/staff/moderation/fraud/reports/{report.id}").get_data(as_text=True)
    assert FLOOD_RANGE in page and "Suspend arms exports" in page
    link = f"/staff/moderation/fraud/invalidations?campaign_id={campaign.id}&amp;address_range={FLOOD_RANGE}"
    assert link in page
    form = people.staff.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert f'value="{FLOOD_RANGE}"' in form
    assert f'<option selected value="{campaign.id}">' in form
    # The moderation index leads here.
    assert 'href="/staff/moderation/fraud/"' in people.staff.get("/staff/moderation/").get_data(as_text=True)
    assert people.organizer.get(f"/staff/moderation/fraud/reports/{report.id}").status_code == 403


def test_groups_under_the_threshold_or_of_big_providers_are_neither_named_nor_kept(db, make_campaign):
    campaign = make_campaign()
    moment = last_hour()
    add_flood(db, campaign.id, 49, at=moment)
    add_flood(db, campaign.id, 120, at=moment, domain="gmail.com", network="192.0.2.0/24", prefix="g")
    report = trending.report_last_hour()
    db.session.commit()

    # 120 from one range trend; the big provider they share does not, and 49 from another range do not.
    assert report is not None
    assert [(g.kind, g.label, g.signatures) for g in report.groups] == [
        (TrendingKind.RANGE, "192.0.2.0/24", 120)
    ]
    assert db.session.execute(select(TrendingGroup.label)).scalars().all() == ["192.0.2.0/24"]


def test_reports_are_deleted_after_thirty_days(db, make_campaign):
    campaign = make_campaign()
    moment = last_hour()
    add_flood(db, campaign.id, 60, at=moment - timedelta(days=31), prefix="old")
    old = trending.report_last_hour(now=moment - timedelta(days=31, hours=-1))
    add_flood(db, campaign.id, 60, at=moment, network="192.0.2.0/24")
    recent = trending.report_last_hour()
    db.session.commit()
    assert old is not None and recent is not None
    recent_id = recent.id

    assert retention.run().trending_reports_deleted == 1
    assert db.session.execute(select(TrendingReport.id)).scalars().all() == [recent_id]
    assert db.session.execute(select(TrendingGroup.report_id)).scalars().all() == [recent_id]


def test_the_report_runs_every_hour_on_beat(app):
    schedule = app.extensions["celery"].conf.beat_schedule
    [entry] = [entry for entry in schedule.values() if entry["task"] == trending.REPORT_TASK]
    assert entry["schedule"].minute == {2} and len(entry["schedule"].hour) == 24


def test_an_unreadable_group_is_kept_without_a_name(db, make_campaign):
    campaign = make_campaign()
    ids = add_flood(db, campaign.id, 60, at=last_hour())
    db.session.execute(update(Signature).where(Signature.id.in_(ids)).values(client_range_sealed=None))
    db.session.commit()
    report = trending.report_last_hour()
    assert report is not None
    assert [(g.kind, g.label) for g in report.groups] == [(TrendingKind.RANGE, None)]
