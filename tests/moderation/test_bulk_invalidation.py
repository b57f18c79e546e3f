"""Bulk invalidation: staff count first, then invalidate that many; the counts drop; no criteria, no run."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import func, select, update

from campaign import clock
from campaign.audit.models import AuditEvent
from campaign.counts import fold, read
from campaign.moderation.criteria import NO_CRITERIA
from campaign.moderation.models import InvalidationJob, InvalidationStatus
from campaign.signing.models import Signature, SignatureStatus
from tests.moderation.test_trending import FLOOD_RANGE, add_flood, people
from tests.support.forms import csrf_token, post_form
from tests.support.waiting import wait_until

__all__ = ["people"]  # the fixture

NEW = "/staff/moderation/fraud/invalidations"


def statuses(db, campaign_id):
    """How many of a campaign's signatures are in each status."""
    db.session.expire_all()
    rows = db.session.execute(
        select(Signature.status, func.count())
        .where(Signature.campaign_id == campaign_id)
        .group_by(Signature.status)
    ).all()
    return {str(status): int(count) for status, count in rows}


def job_in(db, job_id, status):
    """The job once it reached this status (waiting for the worker)."""

    def reached():
        db.session.expire_all()
        job = db.session.get(InvalidationJob, job_id)
        return job if job.status == status else None

    return wait_until(reached, timeout=20)


def job_id_of(response):
    """The invalidation a redirect leads to."""
    return int(re.search(r"/invalidations/(\d+)$", response.headers["Location"]).group(1))


@pytest.mark.usefixtures("celery_worker")
def test_staff_count_a_range_then_invalidate_exactly_that_many_and_the_count_drops(db, people, make_campaign):
    campaign = make_campaign(slug="artsakh")
    other = make_campaign(slug="arms")
    add_flood(db, campaign.id, 25)
    add_flood(db, campaign.id, 5, status=SignatureStatus.PENDING, prefix="waiting")
    add_flood(db, campaign.id, 3, status=SignatureStatus.FRAUDULENT, prefix="caught")
    add_flood(db, campaign.id, 6, network="198.51.100.0/24", domain="example.org", prefix="ani")
    add_flood(db, other.id, 4, prefix="elsewhere")
    assert fold.fold_signatures(batch=1000) == 35
    db.session.commit()
    assert read.read_count(campaign.id).total == 31
    staff = people.staff

    asked = post_form(
        staff, NEW, address_range=FLOOD_RANGE, campaign_id=campaign.id, statuses=["pending", "validated"]
    )
    assert asked.status_code == 303
    job_id = job_id_of(asked)
    job = job_in(db, job_id, InvalidationStatus.COUNTED)
    assert job.matched == 30
    page = staff.get(f"{NEW}/{job_id}").get_data(as_text=True)
    assert "30</strong> signatures match (dry run: nothing was changed)" in page
    # Staff see, before they run it, how many counted signatures it takes off the public count (and ledger).
    assert job.matched_counted == 25
    assert "25</strong> count now: running it removes them from the public count" in page
    assert "Invalidate 30" in page
    # The dry run changed nothing.
    assert statuses(db, campaign.id) == {"validated": 31, "pending": 5, "fraudulent": 3}

    ran = staff.post(f"{NEW}/{job_id}", data={"csrf_token": csrf_token(page)})
    assert ran.status_code == 303
    job = job_in(db, job_id, InvalidationStatus.DONE)
    assert job.invalidated == job.matched == 30
    assert statuses(db, campaign.id) == {"validated": 6, "invalidated": 30, "fraudulent": 3}
    assert statuses(db, other.id) == {"validated": 4}
    reasons = db.session.execute(
        select(Signature.removal_reason).where(Signature.status == SignatureStatus.INVALIDATED).distinct()
    ).scalars()
    assert list(reasons) == ["fraud"]
    done = staff.get(f"{NEW}/{job_id}").get_data(as_text=True)
    assert "30</span> of 30 invalidated" in done and 'http-equiv="refresh"' not in done
    listed = staff.get("/staff/moderation/fraud/").get_data(as_text=True)
    assert f'href="{NEW}/{job_id}"' in listed and f"<td>{people.staff_user.display_name}</td>" in listed

    # The worker folds them out of the count.
    def count_now():
        db.session.expire_all()
        return read.snapshot_from_database(campaign.id).total == 6 and read.read_count(campaign.id).total == 6

    wait_until(count_now, timeout=20)
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    assert [(e.actor, e.action, e.subject) for e in events] == [
        (f"user:{people.staff_user.id}", "signatures.invalidation_started", f"invalidation:{job_id}"),
        (f"user:{people.staff_user.id}", "signatures.invalidated", f"invalidation:{job_id}"),
    ]
    assert events[0].details == {
        "criteria": {
            "address_range": FLOOD_RANGE,
            "campaign_id": campaign.id,
            "statuses": ["pending", "validated"],
        },
        "matched": 30,
    }
    assert events[1].details == {"invalidated": 30, "matched": 30}
    # Pressing the button again does nothing more.
    again = staff.post(f"{NEW}/{job_id}", data={"csrf_token": csrf_token(page)})
    assert again.status_code == 409 and "started already" in again.get_data(as_text=True)


@pytest.mark.usefixtures("celery_worker")
def test_a_pattern_is_matched_on_the_addresses_the_worker_opens(db, people, make_campaign):
    campaign = make_campaign()
    add_flood(db, campaign.id, 7, domain="mailbox.example", prefix="bot")
    add_flood(db, campaign.id, 4, domain="mailbox.example", prefix="Anahit")
    add_flood(db, campaign.id, 2, domain="other.example", prefix="bot")

    glob = post_form(people.staff, NEW, domain="Mailbox.Example", pattern="BOT-*", statuses=["validated"])
    assert job_in(db, job_id_of(glob), InvalidationStatus.COUNTED).matched == 7
    regex = post_form(people.staff, NEW, pattern=r"/^(bot|anahit)-[0-3]@/", statuses=["validated"])
    assert job_in(db, job_id_of(regex), InvalidationStatus.COUNTED).matched == 4 + 4 + 2


def test_no_criteria_or_bad_ones_are_refused_with_a_clear_message(db, people, make_campaign):
    make_campaign()
    staff = people.staff
    for fields, message in [
        ({"statuses": ["pending", "validated"]}, NO_CRITERIA),
        ({"address_range": "203.0.113.7"}, "Signatures keep only the /24 network their client came from"),
        ({"address_range": "10.0.0.0/8"}, "10.0.0.0/8 is too wide: a range may cover at most a /16."),
        ({"address_range": "not a range"}, "is not an address range"),
        ({"domain": "ani@example.org"}, "Give the email domain alone"),
        ({"pattern": "/(unclosed/"}, "The pattern is not a valid regular expression"),
        ({"country": "XX"}, "Unknown country code &#39;XX&#39;"),
        ({"country": "AM", "statuses": []}, "Choose which signatures to invalidate"),
        (
            {"signed_from": "2026-05-02T10:00", "signed_to": "2026-05-01T10:00"},
            "The time window ends before it starts.",
        ),
    ]:
        fields.setdefault("statuses", ["validated"])
        answer = post_form(staff, NEW, **fields)
        assert answer.status_code == 400, fields
        assert message in answer.get_data(as_text=True), fields
    assert db.session.execute(select(func.count(InvalidationJob.id))).scalar() == 0


def test_a_second_factor_given_long_ago_is_asked_for_again(db, people, make_campaign):
    from campaign.accounts.models import AccountSession

    make_campaign()
    db.session.execute(
        update(AccountSession)
        .where(AccountSession.user_id == people.staff_user.id)
        .values(two_factor_at=clock.now() - timedelta(seconds=901))
    )
    db.session.commit()

    stale = post_form(people.staff, NEW, domain="flood.example", statuses=["validated"])
    assert stale.status_code == 302
    assert stale.headers["Location"].startswith("/account/two-factor/verify")
    assert "next=/staff/moderation/fraud/invalidations" in unquote(stale.headers["Location"])
    assert db.session.execute(select(func.count(InvalidationJob.id))).scalar() == 0


def test_only_staff_reach_fraud_review(db, people, make_campaign):
    make_campaign()
    organizer = people.organizer
    for path in ("/staff/moderation/fraud/", NEW):
        assert organizer.get(path).status_code == 403
        visitor = people.visitor.get(path)
        assert visitor.status_code == 302 and visitor.headers["Location"].startswith("/login")
    token = csrf_token(organizer.get("/account").get_data(as_text=True))
    refused = organizer.post(
        NEW, data={"csrf_token": token, "domain": "example.org", "statuses": ["validated"]}
    )
    assert refused.status_code == 403
    assert people.admin.get("/staff/moderation/fraud/").status_code == 200
    assert db.session.execute(select(func.count(InvalidationJob.id))).scalar() == 0


def test_the_command_line_counts_then_invalidates_the_same_signatures(app, db, make_campaign):
    campaign = make_campaign(slug="cli")
    add_flood(db, campaign.id, 12)
    add_flood(db, campaign.id, 3, network="198.51.100.0/24", prefix="ani")
    assert fold.fold_signatures(batch=1000) == 15
    runner = app.test_cli_runner()

    refused = runner.invoke(args=["signatures", "invalidate", "--status", "validated"])
    assert refused.exit_code == 2 and NO_CRITERIA in " ".join(refused.output.split())

    dry = runner.invoke(args=["signatures", "invalidate", "--range", "203.0.0.0/16", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "12 signatures match." in dry.output
    assert "12 of them count now: the run removes them from the count" in dry.output
    assert statuses(db, campaign.id) == {"validated": 15}

    declined = runner.invoke(args=["signatures", "invalidate", "--range", FLOOD_RANGE], input="n\n")
    assert declined.exit_code == 1 and statuses(db, campaign.id) == {"validated": 15}

    ran = runner.invoke(
        args=["signatures", "invalidate", "--range", FLOOD_RANGE, "--campaign", "cli", "--yes"]
    )
    assert ran.exit_code == 0, ran.output
    assert "12 signatures match." in ran.output and "Invalidated 12" in ran.output
    assert statuses(db, campaign.id) == {"validated": 3, "invalidated": 12}
    [started, finished] = db.session.execute(
        select(AuditEvent).where(AuditEvent.action.like("signatures.%")).order_by(AuditEvent.id)
    ).scalars()
    assert started.actor.startswith("cli:") and started.details["matched"] == 12
    assert finished.details["invalidated"] == 12
