"""Changes after staff approved a campaign: a member's outcome, update, words or closing wait for approval.

An owner (with a second factor given recently) changes an approved campaign
at once; a member who is not an owner proposes, and nothing reaches the
public page or the signers' inboxes until an owner approves, or staff do if
the organization chose staff review. Every step is in the audit log, and
links in outcomes and updates show the host they lead to.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from sqlalchemy import func, select

from campaign.accounts.models import ChangeReview, MemberRole, Membership, Organization, Role
from campaign.audit.models import AuditEvent
from campaign.builder import changes
from campaign.builder.models import ChangeKind, ChangeRequest, ChangeStatus
from campaign.campaigns.models import Campaign, CampaignStatus
from campaign.mail.models import OutboxMessage
from campaign.updates.models import Update, UpdateMessage, UpdateStatus
from tests.support.accounts import code_at
from tests.support.forms import post_form
from tests.support.outbox import composed
from tests.support.people import signed_in
from tests.support.signers import add_signer
from tests.support.updates import finish_sending
from tests.support.waiting import wait_until

PHISHING = "Parliament voted. [Read the decision](https://evil.example/parliament-vote) today."
SHOWN_HOST = "Read the decision</a> (<code>https://evil.example/…</code>)"


@dataclass
class Person:
    """A signed-in browser and its user."""

    browser: Any
    user: Any


@dataclass
class Crew:
    """An organization's owner and a member who is not one, staff, a visitor, and the organization."""

    owner: Person
    member: Person
    staff: Person
    visitor: Any
    organization: Organization


@pytest.fixture
def crew(app: Any, db: Any) -> Crew:
    """An organization with its owner (two-factor given at sign-in) and a plain member; staff; a visitor."""
    from campaign.accounts.organizations import create_organization

    owner = Person(*signed_in(app, db, "owner@example.org", Role.ORGANIZER))
    member = Person(*signed_in(app, db, "member@example.org", Role.ORGANIZER, two_factor=False))
    staff = Person(*signed_in(app, db, "staff@example.org", Role.STAFF))
    organization = create_organization("Friends of Artsakh", owner.user)
    db.session.add(
        Membership(organization_id=organization.id, user_id=member.user.id, role=MemberRole.MEMBER)
    )
    db.session.commit()
    return Crew(owner, member, staff, app.test_client(), organization)


def open_campaign(make_campaign: Any, crew: Crew) -> Campaign:
    """An open petition of the crew's organization (staff approved it), at /campaigns/recognize."""
    return make_campaign(slug="recognize", title="Recognize Artsakh", organization_id=crew.organization.id)


def audited(db: Any, action: str) -> list[AuditEvent]:
    """The audit events of this action, oldest first."""
    db.session.expire_all()
    return list(db.session.execute(select(AuditEvent).where(AuditEvent.action == action)).scalars())


def the_change(db: Any, kind: ChangeKind) -> ChangeRequest:
    """The one change of this kind."""
    db.session.expire_all()
    return db.session.execute(select(ChangeRequest).where(ChangeRequest.kind == kind)).scalar_one()


def count(db: Any, model: Any) -> int:
    """How many rows the table has."""
    return int(db.session.execute(select(func.count()).select_from(model)).scalar_one())


def test_a_members_outcome_is_not_public_until_an_owner_approves_it(db, crew, make_campaign):
    campaign = open_campaign(make_campaign, crew)
    public = "/campaigns/recognize"
    assert "Read the decision" not in crew.visitor.get(public).get_data(as_text=True)  # now cached
    page = f"/organize/campaigns/{campaign.id}"

    proposed = post_form(
        crew.member.browser, page, f"{page}/outcome", kind="victory", text=PHISHING, confirmed="yes"
    )

    assert proposed.status_code == 303
    change_page = proposed.headers["Location"]
    assert re.fullmatch(rf"/organize/campaigns/{campaign.id}/changes/\d+", change_page)
    html = crew.visitor.get(public).get_data(as_text=True)
    assert "Victory" not in html and "Read the decision" not in html
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).outcome_at is None
    assert count(db, Update) == 0  # and so no signer was written to
    change = the_change(db, ChangeKind.OUTCOME)
    assert (change.status, change.review_by) == (ChangeStatus.PENDING, ChangeReview.OWNER)
    [proposal] = audited(db, "change.proposed")
    assert proposal.actor == f"user:{crew.member.user.id}" and proposal.subject == f"campaign:{campaign.id}"
    # The owner is told by email where to decide; the member sees that it waits.
    [notice] = composed(db, changes.NOTICE_KIND)
    assert notice.recipient == "owner@example.org" and f"http://localhost{change_page}" in notice.body
    waiting = crew.member.browser.get(change_page).get_data(as_text=True)
    assert "Waiting for approval" in waiting and SHOWN_HOST in waiting
    assert "Changes waiting for approval" in crew.owner.browser.get(page).get_data(as_text=True)
    # The owner deciding is told whom approving it emails.
    deciding = crew.owner.browser.get(change_page).get_data(as_text=True)
    assert "Approving it publishes the outcome and emails it to 0 signers who asked for news." in deciding

    # A member cannot approve their own change.
    refused = post_form(crew.member.browser, change_page, f"{change_page}/approve")
    assert refused.status_code == 403
    assert the_change(db, ChangeKind.OUTCOME).status == ChangeStatus.PENDING

    approved = post_form(crew.owner.browser, change_page, f"{change_page}/approve")

    assert approved.status_code == 303
    html = crew.visitor.get(public).get_data(as_text=True)
    assert "Victory" in html and SHOWN_HOST in html
    assert the_change(db, ChangeKind.OUTCOME).status == ChangeStatus.APPROVED
    [approval] = audited(db, "change.approved")
    assert approval.actor == f"user:{crew.owner.user.id}" and approval.details["change"] == change.id
    assert len(audited(db, "campaign.outcome_published")) == 1
    # The first outcome is now announced to the signers who opted in.
    # Sending began (a worker running in this session may already have finished it).
    assert db.session.execute(select(Update.status)).scalar_one() in (UpdateStatus.SENDING, UpdateStatus.SENT)
    # Approving twice applies it once.
    assert post_form(crew.owner.browser, page, f"{change_page}/approve").status_code == 409
    finish_sending(db)


@pytest.mark.usefixtures("celery_worker")
def test_a_members_update_is_mailed_only_once_an_owner_approves_it(db, crew, make_campaign, mailbox):
    campaign = open_campaign(make_campaign, crew)
    add_signer(db, campaign, "anahit@example.org", given_name="Anahit")
    add_signer(db, campaign, "vardan@example.org", given_name="Vardan")
    written = post_form(
        crew.member.browser,
        f"/organize/campaigns/{campaign.id}/updates",
        subject="The vote",
        body="Read [the decision](https://evil.example/vote) before Monday.",
    )
    path = written.headers["Location"]

    assert post_form(crew.member.browser, path, action=f"{path}/send").status_code == 303

    page = crew.member.browser.get(path).get_data(as_text=True)
    assert "waits for approval by one of the organization" in page and "Send to 2 signers" not in page
    assert "the decision</a> (<code>https://evil.example/…</code>)" in page
    time.sleep(1)  # the worker is running: had anything been owed, it would be on its way
    db.session.expire_all()
    assert db.session.execute(select(Update.status)).scalar_one() == UpdateStatus.DRAFT
    assert count(db, UpdateMessage) == 0
    assert db.session.execute(select(func.count()).where(OutboxMessage.kind == "update")).scalar_one() == 0
    assert mailbox.to("anahit@example.org") == [] and mailbox.to("vardan@example.org") == []
    # While it waits, its text cannot change under the approver's eyes.
    updates_page = f"/organize/campaigns/{campaign.id}/updates"
    late = post_form(crew.member.browser, updates_page, f"{path}/edit", subject="Other", body="Other text")
    assert late.status_code == 409

    change = the_change(db, ChangeKind.UPDATE)
    change_page = f"/organize/campaigns/{campaign.id}/changes/{change.id}"
    assert post_form(crew.owner.browser, change_page, f"{change_page}/approve").status_code == 303

    wait_until(lambda: _status(db) == UpdateStatus.SENT, timeout=20)
    for address in ("anahit@example.org", "vardan@example.org"):
        (message,) = mailbox.wait_for(address)
        body = message.get_content()
        assert "Read the decision (<https://evil.example/vote>) before Monday." in body
    assert [e.details["kind"] for e in audited(db, "change.approved")] == ["update"]
    assert audited(db, "change.proposed")[0].actor == f"user:{crew.member.user.id}"


def _status(db: Any) -> UpdateStatus:
    """The one update's status as the database has it now."""
    db.session.expire_all()
    return db.session.execute(select(Update.status)).scalar_one()


def test_when_the_organization_chose_staff_review_only_staff_decide(db, crew, make_campaign):
    campaign = open_campaign(make_campaign, crew)
    page = f"/organize/campaigns/{campaign.id}"
    review = f"/organize/organizations/{crew.organization.id}/review"
    # Members see the choice; only an owner makes it.
    assert "one of the organization" in crew.member.browser.get(review).get_data(as_text=True)
    assert post_form(crew.member.browser, page, review, review="staff").status_code == 403
    assert post_form(crew.owner.browser, review, review="staff").status_code == 303
    db.session.expire_all()
    assert db.session.get(Organization, crew.organization.id).change_review == ChangeReview.STAFF
    [choice] = audited(db, "organization.change_review")
    assert choice.details == {"review": "staff", "previous": "owner"}

    closing = post_form(crew.member.browser, page, f"{page}/close")
    revising = post_form(
        crew.member.browser,
        f"{page}/revise",
        title="Recognize Artsakh, and visit [us](https://evil.example)",
        summary="Ask our parliament.",
        body_markdown="Parliament should recognize Artsakh.",
    )

    assert closing.status_code == revising.status_code == 303
    public = crew.visitor.get("/campaigns/recognize").get_data(as_text=True)
    assert "Sign this petition" in public and "visit" not in public
    close, text = the_change(db, ChangeKind.CLOSE), the_change(db, ChangeKind.TEXT)
    assert close.review_by == text.review_by == ChangeReview.STAFF
    assert composed(db, changes.NOTICE_KIND) == []  # staff read their queue; owners are not asked
    # The owner may read it but not decide it.
    owner_page = f"{page}/changes/{close.id}"
    assert "Approve:" not in crew.owner.browser.get(owner_page).get_data(as_text=True)
    assert post_form(crew.owner.browser, page, f"{owner_page}/approve").status_code == 403
    queue = crew.staff.browser.get("/staff/moderation/").get_data(as_text=True)
    assert "Closing the campaign" in queue and "The campaign&#39;s text" in queue

    staff_text = f"/staff/moderation/changes/{text.id}"
    rejected = post_form(
        crew.staff.browser, staff_text, f"{staff_text}/reject", reason="A link to a site we cannot vouch for."
    )
    staff_close = f"/staff/moderation/changes/{close.id}"
    approved = post_form(crew.staff.browser, staff_close, f"{staff_close}/approve")

    assert rejected.status_code == approved.status_code == 303
    db.session.expire_all()
    closed = db.session.get(Campaign, campaign.id)
    assert closed.status == CampaignStatus.CLOSED and closed.title == "Recognize Artsakh"
    assert "no longer takes signatures" in crew.visitor.get("/campaigns/recognize").get_data(as_text=True)
    [rejection] = audited(db, "change.rejected")
    assert rejection.actor == f"user:{crew.staff.user.id}"
    assert rejection.details["reason"] == "A link to a site we cannot vouch for."
    [approval] = audited(db, "change.approved")
    assert approval.actor == f"user:{crew.staff.user.id}" and approval.details["kind"] == "close"
    assert len(audited(db, "campaign.closed")) == 1
    assert "A link to a site we cannot vouch for." in crew.member.browser.get(
        f"{page}/changes/{text.id}"
    ).get_data(as_text=True)


def test_an_owners_own_change_waits_for_their_second_factor(app, db, crew, make_campaign, monkeypatch):
    campaign = make_campaign(slug="recognize", organization_id=crew.organization.id)
    page = f"/organize/campaigns/{campaign.id}"
    # The second factor the owner gave at sign-in is too old for this.
    monkeypatch.setitem(app.config, "CHANGE_TWO_FACTOR_SECONDS", 0)

    answer = post_form(
        crew.owner.browser, page, f"{page}/outcome", kind="response", text="They replied.", confirmed="yes"
    )

    assert answer.status_code == 303
    target = urlsplit(answer.headers["Location"])
    assert target.path == "/account/two-factor/verify"
    change_page = unquote(target.query.removeprefix("next="))
    assert re.fullmatch(rf"/organize/campaigns/{campaign.id}/changes/\d+", change_page)
    assert "They replied." not in crew.visitor.get("/campaigns/recognize").get_data(as_text=True)

    monkeypatch.setitem(app.config, "CHANGE_TWO_FACTOR_SECONDS", 900)
    verify = answer.headers["Location"]
    code = code_at(crew.owner.user.totp_secret, 1)  # the sign-in spent the current one
    given = post_form(crew.owner.browser, verify, code=code, next=change_page)
    assert given.status_code in (302, 303) and given.headers["Location"].endswith(change_page)
    assert post_form(crew.owner.browser, change_page, f"{change_page}/approve").status_code == 303

    assert "They replied." in crew.visitor.get("/campaigns/recognize").get_data(as_text=True)
    [approval] = audited(db, "change.approved")
    assert approval.actor == f"user:{crew.owner.user.id}"
    finish_sending(db)


def test_an_owner_with_a_fresh_second_factor_changes_the_page_at_once(db, crew, make_campaign):
    campaign = open_campaign(make_campaign, crew)
    page = f"/organize/campaigns/{campaign.id}"

    answer = post_form(
        crew.owner.browser,
        f"{page}/revise",
        title="Recognize the Republic of Artsakh",
        summary="Ask our parliament.",
        body_markdown="Parliament should recognize Artsakh.",
    )

    assert answer.status_code == 303 and answer.headers["Location"] == page
    public = crew.visitor.get("/campaigns/recognize").get_data(as_text=True)
    assert "Recognize the Republic of Artsakh" in public
    assert [event.action for event in audited(db, "change.proposed") + audited(db, "change.approved")] == [
        "change.proposed",
        "change.approved",
    ]
    assert audited(db, "campaign.text_changed")[0].actor == f"user:{crew.owner.user.id}"


def test_new_words_for_the_letters_wait_for_approval_and_then_reach_the_letters(db, crew, make_campaign):
    from campaign.campaigns.models import CampaignKind
    from campaign.targets.models import LetterCampaign

    campaign = make_campaign(slug="letters", kind=CampaignKind.LETTER, organization_id=crew.organization.id)
    letters = LetterCampaign(campaign_id=campaign.id, subject_template="Stop the exports", body_template="Hi")
    db.session.add(letters)
    db.session.commit()
    page = f"/organize/campaigns/{campaign.id}"
    revise = f"{page}/letter/revise"

    unknown = post_form(crew.member.browser, revise, subject_template="Stop", body_template="Dear $boss")
    proposed = post_form(
        crew.member.browser,
        revise,
        subject_template="Suspend the permits",
        body_template="Dear $official_name,\n\n$message\n\n$name",
    )

    assert unknown.status_code == 400 and "Unknown placeholders: $boss." in unknown.get_data(as_text=True)
    assert proposed.status_code == 303
    db.session.expire_all()
    assert db.session.get(LetterCampaign, campaign.id).subject_template == "Stop the exports"
    change_page = proposed.headers["Location"]
    review = crew.owner.browser.get(change_page).get_data(as_text=True)
    assert "-Subject: Stop the exports" in review and "+Subject: Suspend the permits" in review
    assert post_form(crew.owner.browser, change_page, f"{change_page}/approve").status_code == 303
    db.session.expire_all()
    settings = db.session.get(LetterCampaign, campaign.id)
    assert (settings.subject_template, settings.body_template) == (
        "Suspend the permits",
        "Dear $official_name,\n\n$message\n\n$name",
    )
    assert len(audited(db, "campaign.letter_changed")) == 1
