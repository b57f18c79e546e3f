"""Signers through the API under the exports' rules: who may read them, which ones, on the record;
tokens that expire; helpers that never tell whether an address had signed."""

from datetime import timedelta

from sqlalchemy import select, update

from campaign import clock
from campaign.accounts.models import Role, User
from campaign.accounts.organizations import create_organization
from campaign.api.models import ApiToken
from campaign.audit.models import AuditEvent
from campaign.campaigns.models import CampaignKind
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature, SignatureStatus
from tests.counts.test_fold import add_signatures

READ = "api.signers_read"


def _first_signature(db, campaign):
    """The id of a campaign's first signature and of its person."""
    return db.session.execute(
        select(Signature.id, Signature.person_id)
        .where(Signature.campaign_id == campaign.id)
        .order_by(Signature.id)
        .limit(1)
    ).one()


def _reads(db):
    """The audit records of signer reads, oldest first."""
    db.session.expire_all()
    return (
        db.session.execute(select(AuditEvent).where(AuditEvent.action == READ).order_by(AuditEvent.id))
        .scalars()
        .all()
    )


def test_an_organization_that_does_not_allow_exports_is_refused_its_signers(
    client, db, make_campaign, api_user
):
    closed, headers = api_user("closed@example.org", organization="Closed")
    petition = make_campaign(slug="closed-petition", organization_id=closed.id)
    letters = make_campaign(slug="closed-letters", kind=CampaignKind.LETTER, organization_id=closed.id)
    add_signatures(db, petition, 2)
    add_signatures(db, letters, 1, offset=10)
    signature_id, person_id = _first_signature(db, petition)
    outreach_id, _ = _first_signature(db, letters)

    for path in (
        "/api/v1/people",
        f"/api/v1/people/{person_id}",
        f"/api/v1/petitions/{petition.id}/signatures",
        f"/api/v1/petitions/{petition.id}/signatures/{signature_id}",
        f"/api/v1/advocacy_campaigns/{letters.id}/outreaches",
        f"/api/v1/advocacy_campaigns/{letters.id}/outreaches/{outreach_id}",
    ):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 403, path
        assert answer.is_json and "allow member exports" in answer.json["error"], path
    # The campaigns themselves stay readable.
    assert client.get("/api/v1/petitions", headers=headers).json["total_records"] == 1
    assert client.get(f"/api/v1/petitions/{petition.id}", headers=headers).status_code == 200
    assert client.get("/api/v1/advocacy_campaigns", headers=headers).json["total_records"] == 1
    assert _reads(db) == []


def test_an_organization_that_allows_exports_reads_only_its_own_campaigns_signers(
    client, db, make_campaign, api_user
):
    allowing, headers = api_user("member@example.org", organization="Allows", allows_exports=True)
    member = db.session.execute(select(User).where(User.email == "member@example.org")).scalar_one()
    forbidding = create_organization("Forbids", member)  # the same member, in an org that does not allow it
    elsewhere, _ = api_user("other@example.org", organization="Elsewhere", allows_exports=True)
    ours = make_campaign(slug="ours", organization_id=allowing.id)
    forbidden = make_campaign(slug="forbidden", organization_id=forbidding.id)
    theirs = make_campaign(slug="theirs", organization_id=elsewhere.id)
    add_signatures(db, ours, 2)
    add_signatures(db, forbidden, 3, offset=10)
    add_signatures(db, theirs, 1, offset=20)

    people = client.get("/api/v1/people", headers=headers).json
    ours_people = (
        db.session.execute(select(Signature.person_id).where(Signature.campaign_id == ours.id))
        .scalars()
        .all()
    )
    assert people["total_records"] == 2
    assert {p["identifiers"][0] for p in people["_embedded"]["osdi:people"]} == {
        f"campaigns:{person_id}" for person_id in ours_people
    }
    assert client.get(f"/api/v1/petitions/{ours.id}/signatures", headers=headers).json["total_records"] == 2
    assert client.get(f"/api/v1/petitions/{forbidden.id}/signatures", headers=headers).status_code == 403
    assert client.get(f"/api/v1/petitions/{theirs.id}/signatures", headers=headers).status_code == 404
    _, forbidden_person = _first_signature(db, forbidden)
    _, their_person = _first_signature(db, theirs)
    assert client.get(f"/api/v1/people/{forbidden_person}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/people/{their_person}", headers=headers).status_code == 404
    assert _reads(db)[0].details["scope"] == [allowing.id]


def test_staff_read_the_signers_of_every_campaign(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    closed, _ = api_user("closed@example.org", organization="Closed")
    add_signatures(db, make_campaign(slug="of-an-org", organization_id=closed.id), 2)
    add_signatures(db, make_campaign(slug="of-no-org"), 3, offset=10)

    assert client.get("/api/v1/people", headers=headers).json["total_records"] == 5
    assert _reads(db)[0].details["scope"] == "all"


def test_tokens_expire(client, db, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    token = db.session.execute(select(ApiToken)).scalar_one()
    assert token.expires_at - token.created_at == timedelta(days=90)
    assert client.get("/api/v1/", headers=headers).status_code == 200

    token.expires_at = clock.now() - timedelta(seconds=1)
    db.session.commit()
    refused = client.get("/api/v1/people", headers=headers)
    assert refused.status_code == 401 and "unexpired" in refused.json["error"]
    assert client.get("/api/v1/", headers=headers).status_code == 401


def test_every_read_of_signers_is_audited_with_who_what_and_how_many(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    staff = db.session.execute(select(User)).scalar_one()
    token = db.session.execute(select(ApiToken)).scalar_one()
    petition = make_campaign(slug="audited")
    add_signatures(db, petition, 5)
    signature_id, person_id = _first_signature(db, petition)

    page = client.get(f"/api/v1/petitions/{petition.id}/signatures?per_page=2", headers=headers).json
    client.get("/api/v1/people", headers=headers)
    client.get(f"/api/v1/people/{person_id}", headers=headers)
    client.get(f"/api/v1/petitions/{petition.id}/signatures/{signature_id}", headers=headers)
    client.get("/api/v1/petitions", headers=headers)  # no personal data: not a signer read
    client.get(f"/api/v1/petitions/{petition.id}", headers=headers)

    reads = _reads(db)
    assert [(r.subject, r.details["endpoint"], r.details["rows"]) for r in reads] == [
        (f"campaign:{petition.id}", "api.signatures", 2),
        ("people", "api.people", 5),
        (f"person:{person_id}", "api.person", 1),
        (f"campaign:{petition.id}", "api.signature", 1),
    ]
    assert {r.actor for r in reads} == {f"user:{staff.id}"}
    assert {r.details["token_id"] for r in reads} == {token.id}
    assert reads[0].details["ids"] == [
        int(s["identifiers"][0].split(":", 1)[1]) for s in page["_embedded"]["osdi:signatures"]
    ]
    assert reads[0].details["statuses"] == ["validated"]


def test_pending_and_invalidated_signers_are_listed_only_when_asked_for(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    petition = make_campaign(slug="mixed")
    add_signatures(db, petition, 3)
    add_signatures(db, petition, 2, status=SignatureStatus.PENDING, offset=100)
    add_signatures(db, petition, 1, status=SignatureStatus.INVALIDATED, offset=200)
    path = f"/api/v1/petitions/{petition.id}/signatures"

    def total(url, **query):
        return client.get(url, query_string=query, headers=headers).json["total_records"]

    assert total(path) == 3
    assert total(path, status="pending") == 2
    assert total(path, status="invalidated") == 1
    assert total(path, status="all") == 6
    assert total("/api/v1/people") == 3
    assert total("/api/v1/people", status="pending") == 2
    assert total("/api/v1/people", status="all") == 6
    bad = client.get(path, query_string={"status": "fraudulent"}, headers=headers)
    assert bad.status_code == 400 and "status" in bad.json["error"]
    paged = client.get(path, query_string={"status": "all", "per_page": 1}, headers=headers).json
    assert "status=all" in paged["_links"]["next"]["href"]

    pending_id, pending_person = db.session.execute(
        select(Signature.id, Signature.person_id).where(Signature.status == SignatureStatus.PENDING).limit(1)
    ).one()
    assert client.get(f"{path}/{pending_id}", headers=headers).status_code == 404
    asked = client.get(f"{path}/{pending_id}?status=pending", headers=headers)
    assert asked.status_code == 200 and asked.json["status"] == "pending"
    assert client.get(f"/api/v1/people/{pending_person}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/people/{pending_person}?status=all", headers=headers).status_code == 200


def test_the_helpers_answer_a_new_and_a_repeat_signer_alike(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    petition = make_campaign(slug="same-answer")
    letters = make_campaign(slug="same-answer-letters", kind=CampaignKind.LETTER)

    def body(address):
        return {
            "person": {
                "given_name": "Anahit",
                "family_name": "Petrosyan",
                "email_addresses": [{"address": address}],
                "postal_addresses": [{"postal_code": "0010", "country": "AM"}],
            },
            "message": "Please.",
        }

    def answers(path):
        new = client.post(path, json=body("anahit@example.org"), headers=headers)
        repeat_pending = client.post(path, json=body("anahit@example.org"), headers=headers)
        db.session.execute(
            update(Signature).values(status=SignatureStatus.VALIDATED, validated_at=clock.now())
        )
        db.session.commit()
        repeat_signed = client.post(path, json=body("anahit@example.org"), headers=headers)
        someone_else = client.post(path, json=body("aram@example.org"), headers=headers)
        return [new, repeat_pending, repeat_signed, someone_else]

    for path in (
        f"/api/v1/petitions/{petition.id}/signatures",
        f"/api/v1/advocacy_campaigns/{letters.id}/outreaches",
    ):
        seen = answers(path)
        assert {(a.status_code, a.content_type, a.data) for a in seen} == {
            (seen[0].status_code, seen[0].content_type, seen[0].data)
        }, path
        assert seen[0].status_code == 202 and seen[0].json["status"] == "pending"
    # The repeat signer is told by email instead.
    kinds = db.session.execute(select(OutboxMessage.kind)).scalars().all()
    assert "already-signed" in kinds
