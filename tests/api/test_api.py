"""The OSDI API: tokens, scope, HAL collections and paging, filters, the helpers."""

import re

from sqlalchemy import select, update

from campaign import clock
from campaign.accounts.models import Role, User
from campaign.api.models import ApiToken
from campaign.campaigns.models import CampaignKind
from campaign.counts import fold as counts
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature, SignatureStatus
from tests.counts.test_fold import add_signatures

HAL = "application/hal+json"


def test_the_api_needs_a_valid_token_and_answers_in_json(client, db, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    missing = client.get("/api/v1/petitions")
    assert missing.status_code == 401 and missing.is_json and "OSDI-API-Token" in missing.json["error"]
    assert client.get("/api/v1/petitions", headers={"OSDI-API-Token": "osdi_forged"}).status_code == 401
    entry = client.get("/api/v1/", headers=headers)
    assert entry.status_code == 200 and entry.mimetype == HAL
    assert entry.json["_links"]["osdi:petitions"]["href"].endswith("/api/v1/petitions")
    assert client.get("/api/v1/nowhere", headers=headers).json == {
        "error": client.get("/api/v1/nowhere", headers=headers).json["error"]
    }
    assert client.get("/api/v1/nowhere", headers=headers).status_code == 404


def test_petitions_are_paged_in_osdi_shape(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    for index in range(30):
        make_campaign(slug=f"petition-{index:02}")
    make_campaign(slug="a-letter", kind=CampaignKind.LETTER)

    first = client.get("/api/v1/petitions", headers=headers).json
    assert (first["total_records"], first["total_pages"], first["per_page"], first["page"]) == (30, 2, 25, 1)
    petitions = first["_embedded"]["osdi:petitions"]
    assert len(petitions) == 25
    url_id = petitions[0]["_links"]["self"]["href"].rsplit("/", 1)[1]
    assert petitions[0]["identifiers"] == [f"campaigns:{url_id}"]
    assert {
        "title",
        "description",
        "petition_text",
        "total_signatures",
        "created_date",
        "modified_date",
        "_links",
    } <= set(petitions[0])
    assert "osdi:record_signature_helper" in petitions[0]["_links"]
    second = client.get(first["_links"]["next"]["href"].replace("http://localhost", ""), headers=headers).json
    assert len(second["_embedded"]["osdi:petitions"]) == 5 and "next" not in second["_links"]
    assert "previous" in second["_links"]
    big = client.get("/api/v1/petitions?per_page=500", headers=headers).json
    assert big["per_page"] == 100
    assert client.get("/api/v1/petitions?page=0", headers=headers).status_code == 400
    assert client.get("/api/v1/petitions?page=abc", headers=headers).status_code == 400


def test_signatures_are_listed_with_their_count_and_filtered_by_date(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    campaign = make_campaign(slug="counted")
    add_signatures(db, campaign, 6)
    add_signatures(db, campaign, 2, status=SignatureStatus.PENDING, offset=100)
    counts.fold_signatures(batch=100)
    db.session.execute(
        update(Signature).where(Signature.id <= 2).values(validated_at=clock.now().replace(year=2020))
    )
    db.session.commit()

    petition = client.get(f"/api/v1/petitions/{campaign.id}", headers=headers).json
    assert petition["total_signatures"] == 6
    listed = client.get(f"/api/v1/petitions/{campaign.id}/signatures", headers=headers).json
    assert listed["total_records"] == 6
    recent = client.get(
        f"/api/v1/petitions/{campaign.id}/signatures",
        query_string={"filter": "modified_date gt '2025-01-01'"},
        headers=headers,
    ).json
    assert recent["total_records"] == 4
    bad = client.get(
        f"/api/v1/petitions/{campaign.id}/signatures",
        query_string={"filter": "modified_date; DROP TABLE people"},
        headers=headers,
    )
    assert bad.status_code == 400 and "filter" in bad.json["error"]


def test_an_organizer_reaches_only_their_organizations_campaigns(client, db, make_campaign, api_user):
    ours, our_headers = api_user("ours@example.org", organization="Ours", allows_exports=True)
    theirs, their_headers = api_user("theirs@example.org", organization="Theirs", allows_exports=True)
    mine = make_campaign(slug="mine", organization_id=ours.id)
    other = make_campaign(slug="other", organization_id=theirs.id)
    add_signatures(db, other, 1)

    listed = client.get("/api/v1/petitions", headers=our_headers).json
    assert [p["title"] for p in listed["_embedded"]["osdi:petitions"]] == [mine.title]
    assert client.get(f"/api/v1/petitions/{other.id}", headers=our_headers).status_code == 404
    assert client.get(f"/api/v1/petitions/{other.id}/signatures", headers=our_headers).status_code == 404
    person_id = db.session.execute(select(Signature.person_id)).scalar_one()
    assert client.get(f"/api/v1/people/{person_id}", headers=our_headers).status_code == 404
    assert client.get(f"/api/v1/people/{person_id}", headers=their_headers).status_code == 200
    assert client.get("/api/v1/people", headers=our_headers).json["total_records"] == 0


def test_the_record_signature_helper_takes_the_form_path_with_double_opt_in(
    client, db, make_campaign, api_user
):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    campaign = make_campaign(slug="helper")
    body = {
        "person": {
            "given_name": "Anahit",
            "family_name": "Petrosyan",
            "email_addresses": [{"address": "Anahit.P+api@gmail.com", "status": "subscribed"}],
            "postal_addresses": [{"postal_code": "0010", "country": "AM"}],
        },
        "comments": "For my grandparents",
        "referrer_data": {"source": "partner-site"},
    }
    helper = (
        client.get(f"/api/v1/petitions/{campaign.id}", headers=headers)
        .json["_links"]["osdi:record_signature_helper"]["href"]
        .replace("http://localhost", "")
    )

    recorded = client.post(helper, json=body, headers=headers)
    assert recorded.status_code == 202, recorded.json
    assert recorded.json["status"] == "pending"
    assert recorded.json["_links"]["osdi:petition"]["href"].endswith(f"/api/v1/petitions/{campaign.id}")
    again = client.post(
        helper,
        json={
            **body,
            "person": {**body["person"], "email_addresses": [{"address": "anahitp@googlemail.com"}]},
        },
        headers=headers,
    )
    assert again.data == recorded.data
    signature = db.session.execute(select(Signature)).scalar_one()
    assert signature.has_email_opt_in and signature.source == "partner-site"
    kinds = db.session.execute(select(OutboxMessage.kind)).scalars().all()
    assert kinds[0] == "confirmation"
    listed = client.get(
        f"/api/v1/petitions/{campaign.id}/signatures", query_string={"status": "pending"}, headers=headers
    ).json["_embedded"]["osdi:signatures"]
    assert [s["referrer_data"] for s in listed] == [{"source": "partner-site"}]
    person = client.get(
        listed[0]["_links"]["osdi:person"]["href"].replace("http://localhost", ""),
        query_string={"status": "pending"},
        headers=headers,
    ).json
    # Not subscribed before the person confirms, though they opted in.
    assert person["email_addresses"][0] == {
        "address": "Anahit.P+api@gmail.com",
        "primary": True,
        "status": "unsubscribed",
    }
    assert person["postal_addresses"] == [{"primary": True, "postal_code": "0010", "country": "AM"}]


def test_the_helpers_refuse_bad_input_with_a_4xx_and_write_nothing(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    campaign = make_campaign(slug="strict")
    path = f"/api/v1/petitions/{campaign.id}/signatures"
    malformed = client.post(path, data="{not json", content_type="application/json", headers=headers)
    assert malformed.status_code == 400 and malformed.is_json
    not_json = client.post(path, data="x=1", headers=headers)
    assert not_json.status_code == 400 and "not JSON" in not_json.json["error"]
    assert client.post(path, json=[], headers=headers).status_code == 400
    assert client.post(path, json={"person": "me"}, headers=headers).status_code == 400
    hostile = client.post(
        path,
        json={
            "person": {
                "given_name": "A\r\nBcc: x@example.org",
                "family_name": "B",
                "email_addresses": [{"address": "not an address"}],
                "postal_addresses": [{"country": "ZZ"}],
            }
        },
        headers=headers,
    )
    assert hostile.status_code == 400
    assert "email" in hostile.json["error"] and "country" in hostile.json["error"]
    assert db.session.execute(select(Signature)).scalars().all() == []


def test_the_record_outreach_helper_keeps_the_writers_words(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    campaign = make_campaign(slug="letters", kind=CampaignKind.LETTER)
    listed = client.get("/api/v1/advocacy_campaigns", headers=headers).json
    assert listed["_embedded"]["osdi:advocacy_campaigns"][0]["total_outreaches"] == 0
    recorded = client.post(
        f"/api/v1/advocacy_campaigns/{campaign.id}/outreaches",
        headers=headers,
        json={
            "person": {
                "given_name": "Aram",
                "family_name": "K",
                "email_addresses": [{"address": "aram@example.org"}],
                "postal_addresses": [{"country": "CA", "region": "CA-ON", "postal_code": "K1A 0A6"}],
            },
            "message": "Please suspend the permits.",
        },
    )
    assert recorded.status_code == 202, recorded.json
    assert recorded.json["status"] == "pending" and "osdi:advocacy_campaign" in recorded.json["_links"]
    outreaches = client.get(
        f"/api/v1/advocacy_campaigns/{campaign.id}/outreaches",
        query_string={"status": "all"},
        headers=headers,
    ).json["_embedded"]["osdi:outreaches"]
    assert [(o["message"], o["type"], o["status"]) for o in outreaches] == [
        ("Please suspend the permits.", "email", "pending")
    ]


def test_tokens_are_stored_hashed_revocable_and_made_by_the_command_line(app, client, db, api_user):
    _user, headers = api_user("staff@example.org", Role.STAFF)
    secret = headers["OSDI-API-Token"]
    token = db.session.execute(select(ApiToken)).scalar_one()
    assert secret not in (token.token_hash, token.prefix) and len(token.token_hash) == 64
    assert client.get("/api/v1/", headers=headers).status_code == 200
    token.revoked_at = clock.now()
    db.session.commit()
    assert client.get("/api/v1/", headers=headers).status_code == 401

    printed = app.test_cli_runner().invoke(args=["token", "create", "staff@example.org"])
    assert printed.exit_code == 0
    new_secret = printed.stdout.strip()
    assert "Expires" in printed.stderr
    assert re.fullmatch(r"osdi_[A-Za-z0-9_\-]{40,}", new_secret)
    assert client.get("/api/v1/", headers={"OSDI-API-Token": new_secret}).status_code == 200
    assert "No active user" in app.test_cli_runner().invoke(args=["token", "create", "x@example.org"]).output
    db.session.execute(update(User).values(is_active=False))
    db.session.commit()
    assert client.get("/api/v1/", headers={"OSDI-API-Token": new_secret}).status_code == 401


def test_the_api_is_rate_limited_per_token(app, client, db, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    app.config["API_RATE_LIMIT"] = "3/minute"
    try:
        answers = [client.get("/api/v1/", headers=headers) for _ in range(5)]
    finally:
        app.config["API_RATE_LIMIT"] = "600/minute"
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert answers[-1].is_json and "error" in answers[-1].json
