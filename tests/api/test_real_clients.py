"""Real OSDI clients from PyPI against the app served over HTTP: Parsons' Action Network connector
and the `osdi` package, making their natural calls. A failing client call is a failing test."""

import warnings
from datetime import datetime

import pytest
from requests.exceptions import HTTPError
from sqlalchemy import select, update

from campaign.accounts.models import Role
from campaign.campaigns.models import CampaignKind
from campaign.signing import confirmation as signing
from campaign.signing.models import Person, Signature

with warnings.catch_warnings():
    # Parsons warns on import that `pip install parsons` now installs only its core.
    warnings.simplefilter("ignore", RuntimeWarning)
    from parsons import ActionNetwork
    from parsons.utilities.api_connector import APIConnector

from osdi.action_network.service import ActionNetworkService


def _parsons(site, headers):
    """Parsons' Action Network connector, pointed at our API (it has no base-URL argument)."""
    client = ActionNetwork(api_token=headers["OSDI-API-Token"])
    client.api_url = f"{site}/api/v1"
    client.api = APIConnector(client.api_url, headers=client.headers)
    return client


def _body(email):
    return {
        "person": {
            "given_name": "Anahit",
            "family_name": "Petrosyan",
            "email_addresses": [{"address": email}],
            "postal_addresses": [{"postal_code": "55401", "region": "MN", "country": "US"}],
        },
        "comments": "For the river",
    }


@pytest.fixture
def world(db, make_campaign, api_user):
    """A staff token, 30 petitions, a letter campaign, and signatures on the first petition."""
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    petitions = [make_campaign(slug=f"river-{index:02}") for index in range(30)]
    letters = make_campaign(slug="letters", kind=CampaignKind.LETTER)
    return headers, petitions, letters


def test_parsons_lists_reads_pages_filters_and_records(site, world, db):
    headers, petitions, _letters = world
    parsons = _parsons(site, headers)

    listed = parsons.get_petitions()
    assert listed.num_rows == 30
    assert (
        parsons.get_petitions(page=2, per_page=25)["_embedded"]["osdi:petitions"][0]["title"]
        == petitions[25].title
    )
    first = listed[0]
    petition_id = first["identifiers"][0].split(":")[1]  # the way Parsons users take an id
    assert parsons.get_petition(petition_id)["title"] == petitions[0].title

    for address in ("one@example.org", "two@example.org", "three@example.org"):
        answer = parsons.api.post_request(url=f"petitions/{petition_id}/signatures", json=_body(address))
        assert answer["status"] == "pending"
    for signature_id in db.session.execute(select(Signature.id)).scalars().all():
        signing.confirm(signature_id)
    db.session.execute(
        update(Signature).where(Signature.id == 1).values(validated_at=datetime(2026, 12, 4, 20))
    )
    db.session.execute(
        update(Signature).where(Signature.id > 1).values(validated_at=datetime(2026, 12, 4, 19))
    )
    db.session.commit()

    signatures = parsons.get_petition_signatures(petition_id)
    assert signatures.num_rows == 3 and "" not in signatures[0].values()
    # 14:30:09-05:00 is 19:30:09 UTC: one signature changed later.
    later = parsons.get_petition_signatures(
        petition_id, filter="modified_date gt '2026-12-04T14:30:09-05:00'"
    )
    assert later.num_rows == 1
    people = parsons.get_people()
    assert people.num_rows == 3
    assert people[0]["postal_addresses"][0]["region"] == "MN"
    person_id = people[0]["identifiers"][0].split(":")[1]
    assert parsons.get_person(person_id)["given_name"] == "Anahit"
    assert parsons.get_person_signatures(person_id).num_rows == 1
    assert parsons.get_person_outreaches(person_id).num_rows == 0
    found = parsons.get_people(filter="email_address eq 'two@example.org'")
    assert found.num_rows == 1

    upserted = parsons.upsert_person(email_address="two@example.org", given_name="Ignored")
    assert upserted["given_name"] == "Anahit" and upserted["identifiers"]
    new = parsons.upsert_person(
        email_address="new@example.org", given_name="New", postal_addresses=[{"region": "MN"}]
    )
    assert new["identifiers"] == [] and "created_date" in new
    assert db.session.execute(select(Person.id)).scalars().all() == [1, 2, 3]


def test_parsons_create_signature_sends_its_body_as_query_parameters_and_is_told_so(site, world):
    """Parsons' bug: create_signature (and create_outreach) pass the payload as `params`. We refuse the
    empty body with a message that says where the payload must go."""
    headers, petitions, letters = world
    parsons = _parsons(site, headers)
    with pytest.raises(HTTPError) as refused:
        parsons.create_signature(petitions[0].id, _body("one@example.org"))
    assert "Code: 400" in str(refused.value)
    with pytest.raises(HTTPError, match="Code: 400"):
        parsons.create_outreach(letters.id, _body("one@example.org"))
    answer = parsons.api.request(
        f"petitions/{petitions[0].id}/signatures", "POST", params=_body("x@example.org"), raise_on_error=False
    )
    assert answer.status_code == 400 and "query string" in answer.json()["error"]


def test_the_osdi_package_reads_finds_and_creates_people(site, world, db, client):
    headers, petitions, _letters = world
    service = ActionNetworkService(f"{site}/api/v1", headers["OSDI-API-Token"])  # reads /tags first
    assert service.tags == {}

    raw = service.get_model_raw("petitions", "osdi:petitions")
    assert len(raw) == 30  # every page, by the next links
    recorded = client.post(
        f"/api/v1/petitions/{petitions[0].id}/signatures", json=_body("one@example.org"), headers=headers
    )
    assert recorded.status_code == 202
    signing.confirm(db.session.execute(select(Signature.id)).scalar_one())
    db.session.commit()

    person = service.get_person({"email_address": "One@Example.org"})
    assert person is not None and person["given_name"] == "Anahit"
    assert service.get_person({"email_address": "nobody@example.org"}) is None
    modified = service.get_people({"modified_date": person["modified_date"]})
    assert len(modified) == 1
    created = service.create_person("Aram", "K", "aram@example.org")
    assert created["identifiers"] == [] and created["email_addresses"][0]["address"] == "aram@example.org"
    again = service.create_person("Anahit", "P", "one@example.org")
    assert again["identifiers"] == person["identifiers"]
