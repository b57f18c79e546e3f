"""The API as OSDI clients read it: identifiers, dates with offsets, regions, petitions, signatures,
people and their actions, the entry point, lenient bodies, and the person signup helper."""

import json
from datetime import datetime

from sqlalchemy import select, update

from campaign.accounts.models import Role
from campaign.audit.models import AuditEvent
from campaign.campaigns.models import CampaignKind
from campaign.signing import confirmation as signing
from campaign.signing.models import Person, Signature
from campaign.targets.models import LetterCampaign, LetterTarget, Official

CURIE = "https://opensupporter.github.io/osdi-docs/{rel}"


def _body(email, **postal):
    """A record-signature helper body for this address."""
    return {
        "person": {
            "given_name": "Anahit",
            "family_name": "Petrosyan",
            "email_addresses": [{"address": email, "status": "subscribed"}],
            "postal_addresses": [postal or {"postal_code": "0010", "country": "AM"}],
        }
    }


def _confirm_all(db):
    """Confirm every pending signature, as the emailed links would."""
    for signature_id in db.session.execute(select(Signature.id)).scalars().all():
        signing.confirm(signature_id)
    db.session.commit()


def _path(href):
    return href.replace("http://localhost", "")


def test_identifiers_carry_the_url_id_and_the_old_form_still_leads_there(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    campaign = make_campaign(slug="ids")
    listed = client.get("/api/v1/petitions", headers=headers).json["_embedded"]["osdi:petitions"]
    found_id = listed[0]["identifiers"][0].split(":", 1)[1]  # how Parsons users take an id
    assert client.get(f"/api/v1/petitions/{found_id}", headers=headers).json["title"] == campaign.title
    old = client.get(f"/api/v1/petitions/petition-{campaign.id}", headers=headers)
    assert old.status_code == 308 and old.location.endswith(f"/api/v1/petitions/{campaign.id}")
    assert client.get("/api/v1/petitions/person-1", headers=headers).status_code == 404
    assert client.get("/api/v1/petitions/nonsense", headers=headers).status_code == 404


def test_a_date_filter_applies_its_utc_offset(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    campaign = make_campaign(slug="offsets")
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        client.post(f"/api/v1/petitions/{campaign.id}/signatures", json=_body(email), headers=headers)
    db.session.execute(update(Signature).values(created_at=datetime(2026, 12, 4, 19, 0, 0)))
    db.session.execute(
        update(Signature).where(Signature.id == 1).values(created_at=datetime(2026, 12, 4, 20))
    )
    db.session.commit()
    path = f"/api/v1/petitions/{campaign.id}/signatures"

    def total(expression):
        answer = client.get(path, query_string={"filter": expression, "status": "all"}, headers=headers)
        assert answer.status_code == 200, answer.json
        return answer.json["total_records"]

    # 14:30:09-05:00 is 19:30:09 UTC: only the one made at 20:00 UTC is later.
    assert total("modified_date gt '2026-12-04T14:30:09-05:00'") == 1
    assert total("modified_date gt '2026-12-04T14:30:09Z'") == 3
    assert total("created_date eq '2026-12-04T19:00:00Z' or created_date ge '2026-12-04T20:00:00+00:00'") == 3
    assert total("(created_date lt '2026-12-04T20:00:00Z' and created_date ge '2026-12-04T19:00:00Z')") == 2
    assert total("created_date le '2026-12-04T14:00:00-05'") == 2
    assert total("created_date ne '2026-12-04T15:00:00-05:00' and country eq 'am'") == 2
    assert total("email_address eq 'A@Example.org'") == 1
    bad = client.get(path, query_string={"filter": "postal_code eq '0010'"}, headers=headers)
    assert bad.status_code == 400 and "sealed" in bad.json["error"]


def test_regions_are_osdi_subdivisions_in_and_out(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    campaign = make_campaign(slug="regions")
    path = f"/api/v1/petitions/{campaign.id}/signatures"
    short = client.post(path, json=_body("mn@example.org", region="MN", country="US"), headers=headers)
    full = client.post(path, json=_body("on@example.org", region="CA-ON", country="CA"), headers=headers)
    wrong = client.post(path, json=_body("x@example.org", region="ON", country="US"), headers=headers)
    assert (short.status_code, full.status_code, wrong.status_code) == (202, 202, 400)
    assert "region" in wrong.json["error"]
    assert db.session.execute(select(Signature.region).order_by(Signature.id)).scalars().all() == [
        "US-MN",
        "CA-ON",
    ]
    people = client.get("/api/v1/people", query_string={"status": "all"}, headers=headers).json
    addresses = [p["postal_addresses"][0] for p in people["_embedded"]["osdi:people"]]
    assert [(a["region"], a["country"], a["primary"]) for a in addresses] == [
        ("MN", "US", True),
        ("ON", "CA", True),
    ]
    by_region = client.get(
        "/api/v1/people", query_string={"status": "all", "filter": "region eq 'MN'"}, headers=headers
    ).json
    assert by_region["total_records"] == 1


def test_petitions_have_a_summary_sanitised_html_and_their_targets(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    campaign = make_campaign(
        slug="html", summary="Save the river.", body_markdown="Please **sign**.\n\n<script>alert(1)</script>"
    )
    official = Official(
        name="Ada Minister", title="Minister of Water", body="Government", country="AM", email="m@example.org"
    )
    db.session.add_all(
        [official, LetterCampaign(campaign_id=campaign.id, subject_template="S", body_template="B")]
    )
    db.session.flush()
    db.session.add(LetterTarget(campaign_id=campaign.id, official_id=official.id))
    db.session.commit()

    petition = client.get(f"/api/v1/petitions/{campaign.id}", headers=headers).json
    assert petition["summary"] == "Save the river."
    assert "<strong>sign</strong>" in petition["description"] and "<script" not in petition["description"]
    assert petition["petition_text"] == petition["description"]
    assert petition["target"] == [
        {"name": "Ada Minister", "title": "Minister of Water", "organization": "Government"}
    ]
    assert "m@example.org" not in str(petition)
    assert petition["_links"]["curies"][0]["href"] == CURIE
    assert petition["origin_system"]


def test_signatures_leave_out_unset_fields(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    campaign = make_campaign(slug="unset")
    client.post(f"/api/v1/petitions/{campaign.id}/signatures", json=_body("a@example.org"), headers=headers)
    listed = client.get(
        f"/api/v1/petitions/{campaign.id}/signatures", query_string={"status": "pending"}, headers=headers
    ).json
    signature = listed["_embedded"]["osdi:signatures"][0]
    assert "" not in signature.values()
    assert "comments" not in signature and "referrer_data" not in signature
    assert signature["action_date"] == signature["created_date"] and signature["origin_system"]
    assert listed["_links"]["osdi:signatures"][0] == signature["_links"]["self"]


def test_the_entry_point_says_its_page_size_and_namespace(client, db, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    entry = client.get("/api/v1/", headers=headers).json
    assert entry["max_pagesize"] == 100 and entry["namespace"] == "campaigns"
    assert entry["_links"]["curies"][0]["name"] == "osdi"


def test_a_json_body_is_read_whatever_its_content_type_but_the_token_only_from_the_header(
    client, db, make_campaign, api_user
):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    campaign = make_campaign(slug="lenient")

    sent = client.post(
        f"/api/v1/petitions/{campaign.id}/signatures",
        data=json.dumps(_body("a@example.org")),
        content_type="text/plain",
        headers=headers,
    )
    assert sent.status_code == 202
    in_url = client.get("/api/v1/petitions", query_string={"osdi-api-token": headers["OSDI-API-Token"]})
    assert in_url.status_code == 401 and "header" in in_url.json["error"]


def test_a_person_shows_their_latest_change_links_and_confirmed_subscription(
    client, db, make_campaign, api_user
):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    petition = make_campaign(slug="p1")
    letters = make_campaign(slug="l1", kind=CampaignKind.LETTER)
    client.post(f"/api/v1/petitions/{petition.id}/signatures", json=_body("a@example.org"), headers=headers)
    db.session.execute(update(Signature).values(created_at=datetime(2026, 1, 1)))
    db.session.execute(update(Person).values(created_at=datetime(2026, 1, 1)))
    db.session.commit()
    client.post(
        f"/api/v1/advocacy_campaigns/{letters.id}/outreaches",
        json={**_body("a@example.org"), "message": "Please act."},
        headers=headers,
    )
    pending = client.get("/api/v1/people", query_string={"status": "all"}, headers=headers).json
    assert pending["_embedded"]["osdi:people"][0]["email_addresses"][0]["status"] == "unsubscribed"
    _confirm_all(db)

    person = client.get("/api/v1/people", headers=headers).json["_embedded"]["osdi:people"][0]
    assert person["created_date"] == "2026-01-01T00:00:00Z"
    assert person["modified_date"] > person["created_date"]
    assert person["email_addresses"][0]["status"] == "subscribed"
    signatures = client.get(_path(person["_links"]["osdi:signatures"]["href"]), headers=headers).json
    outreaches = client.get(_path(person["_links"]["osdi:outreaches"]["href"]), headers=headers).json
    assert [s["_links"]["osdi:petition"]["href"] for s in signatures["_embedded"]["osdi:signatures"]] == [
        f"http://localhost/api/v1/petitions/{petition.id}"
    ]
    assert [o["message"] for o in outreaches["_embedded"]["osdi:outreaches"]] == ["Please act."]
    recent = client.get(
        "/api/v1/people",
        query_string={"filter": f"modified_date gt '{person['created_date']}'"},
        headers=headers,
    ).json
    assert recent["total_records"] == 1


def test_a_persons_actions_follow_the_exports_rules_and_are_audited(client, db, make_campaign, api_user):
    closed, closed_headers = api_user("closed@example.org", organization="Closed")
    open_org, open_headers = api_user("open@example.org", organization="Open", allows_exports=True)
    _staff, staff_headers = api_user("staff@example.org", Role.STAFF)
    ours = make_campaign(slug="ours", organization_id=open_org.id)
    theirs = make_campaign(slug="theirs", organization_id=closed.id)
    for campaign in (ours, theirs):
        client.post(
            f"/api/v1/petitions/{campaign.id}/signatures", json=_body("a@example.org"), headers=staff_headers
        )
    _confirm_all(db)
    person_id = db.session.execute(select(Person.id)).scalar_one()
    path = f"/api/v1/people/{person_id}/signatures"

    assert client.get(path, headers=closed_headers).status_code == 403
    assert client.get(f"/api/v1/people/{person_id}/outreaches", headers=closed_headers).status_code == 403
    mine = client.get(path, headers=open_headers).json
    assert [
        s["_links"]["osdi:petition"]["href"].rsplit("/", 1)[1] for s in mine["_embedded"]["osdi:signatures"]
    ] == [str(ours.id)]
    assert client.get(path, headers=staff_headers).json["total_records"] == 2
    assert client.get("/api/v1/people/999999/signatures", headers=open_headers).status_code == 404
    db.session.expire_all()
    reads = (
        db.session.execute(
            select(AuditEvent).where(AuditEvent.action == "api.signers_read").order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    assert [(r.subject, r.details["endpoint"], r.details["rows"]) for r in reads] == [
        (f"person:{person_id}", "api.person_signatures", 1),
        (f"person:{person_id}", "api.person_signatures", 2),
    ]


def test_the_person_signup_helper_matches_only_the_callers_signers(client, db, make_campaign, api_user):
    _closed, closed_headers = api_user("closed@example.org", organization="Closed")
    open_org, open_headers = api_user("open@example.org", organization="Open", allows_exports=True)
    other, _ = api_user("other@example.org", organization="Other", allows_exports=True)
    _staff, staff_headers = api_user("staff@example.org", Role.STAFF)
    ours = make_campaign(slug="ours", organization_id=open_org.id)
    elsewhere = make_campaign(slug="elsewhere", organization_id=other.id)
    client.post(
        f"/api/v1/petitions/{ours.id}/signatures", json=_body("ours@example.org"), headers=staff_headers
    )
    client.post(
        f"/api/v1/petitions/{elsewhere.id}/signatures",
        json=_body("theirs@example.org"),
        headers=staff_headers,
    )
    _confirm_all(db)

    def signup(address, headers=open_headers):
        return client.post(
            "/api/v1/people", json={"person": {"email_addresses": [{"address": address}]}}, headers=headers
        )

    matched = signup("Ours@Example.org")
    assert matched.status_code == 200
    assert matched.json["given_name"] == "Anahit" and matched.json["identifiers"][0].startswith("campaigns:")
    theirs, new = signup("theirs@example.org"), signup("nobody@example.org")
    assert theirs.status_code == new.status_code == 200
    assert theirs.json["identifiers"] == new.json["identifiers"] == []
    assert set(theirs.json) == set(new.json) and "Anahit" not in theirs.get_data(as_text=True)
    assert signup("theirs@example.org", staff_headers).status_code == 200
    assert signup("ours@example.org", closed_headers).status_code == 403
    bad = signup("not an address")
    assert bad.status_code == 400 and "email" in bad.json["error"]
    assert db.session.execute(select(Person.id)).scalars().all() == [1, 2]  # nothing stored
    db.session.expire_all()
    reads = (
        db.session.execute(
            select(AuditEvent).where(AuditEvent.details["endpoint"].as_string() == "api.person_signup")
        )
        .scalars()
        .all()
    )
    assert [(r.details["rows"], r.details["matched"]) for r in reads] == [
        (1, True),
        (0, False),
        (0, False),
        (1, True),
    ]


def test_the_web_tier_without_keys_serves_no_persons_actions_or_signups(app, db, tmp_path, make_campaign):
    from campaign import create_app
    from campaign.privacy import keys, vault
    from tests.privacy.test_keys import add_signature, staff_token

    headers = staff_token(db)
    campaign = make_campaign()
    add_signature(db, campaign.id, "held@example.org")
    person_id = db.session.execute(select(Person.id)).scalar_one()
    web_tier = create_app({"TESTING": True, "KEYS_PATH": str(tmp_path / "no-keys")})
    keys.forget()
    vault.forget()
    try:
        web = web_tier.test_client()
        answers = [
            web.get(f"/api/v1/people/{person_id}/signatures", headers=headers),
            web.post(
                "/api/v1/people",
                json={"person": {"email_addresses": [{"address": "held@example.org"}]}},
                headers=headers,
            ),
        ]
        for answer in answers:
            assert answer.status_code == 503 and "API service" in answer.json["error"]
            assert b"held@example.org" not in answer.data
    finally:
        keys.forget()
        vault.forget()
