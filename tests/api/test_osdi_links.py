"""What every OSDI resource carries, collections and helper answers included (the curies that explain
the osdi: relations), and a letter campaign's officials as the targets of it and of its outreaches."""

from sqlalchemy import select

from campaign.accounts.models import Role
from campaign.campaigns.models import CampaignKind
from campaign.signing import confirmation as signing
from campaign.signing.models import Signature
from campaign.targets.models import LetterCampaign, LetterTarget, Official, Targeting
from tests.support.letters import BODY, SUBJECT

CURIES = [{"name": "osdi", "href": "https://opensupporter.github.io/osdi-docs/{rel}", "templated": True}]


def _person(email):
    """A helper body's person."""
    return {
        "given_name": "Aram",
        "family_name": "Karapetyan",
        "email_addresses": [{"address": email}],
        "postal_addresses": [{"country": "CA", "region": "ON", "postal_code": "K1A 0A6"}],
    }


def _letters(db, make_campaign, slug, officials, targeting=Targeting.FIXED):
    """A letter campaign whose list holds these officials."""
    campaign = make_campaign(slug=slug, kind=CampaignKind.LETTER)
    db.session.add_all(officials)
    db.session.add(
        LetterCampaign(
            campaign_id=campaign.id, subject_template=SUBJECT, body_template=BODY, targeting=targeting
        )
    )
    db.session.flush()
    db.session.add_all(LetterTarget(campaign_id=campaign.id, official_id=o.id) for o in officials)
    db.session.commit()
    return campaign


def _officials():
    return [
        Official(
            name="Morgan Ontario", title="MPP", body="", country="CA", region="CA-ON", email="mo@example.org"
        ),
        Official(
            name="Ada Minister",
            title="Minister of Water",
            body="Government",
            country="CA",
            email="am@example.org",
        ),
    ]


def _confirm_all(db):
    """Confirm every pending signature, as the emailed links would."""
    for signature_id in db.session.execute(select(Signature.id)).scalars().all():
        signing.confirm(signature_id)
    db.session.commit()


def _get(client, path, headers):
    answer = client.get(path.replace("http://localhost", ""), headers=headers)
    assert answer.status_code == 200, (path, answer.status_code, answer.get_data(as_text=True))
    return answer.json


def test_collection_pages_and_helper_answers_carry_the_curies(client, db, make_campaign, api_user):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    petition = make_campaign(slug="curies")
    letters = _letters(db, make_campaign, "curies-letters", _officials())

    answers = {
        "record signature": client.post(
            f"/api/v1/petitions/{petition.id}/signatures",
            json={"person": _person("a@example.org")},
            headers=headers,
        ),
        "record outreach": client.post(
            f"/api/v1/advocacy_campaigns/{letters.id}/outreaches",
            json={"person": _person("a@example.org"), "message": "Please act."},
            headers=headers,
        ),
        "signup, unknown address": client.post(
            "/api/v1/people",
            json={"person": {"email_addresses": [{"address": "nobody@example.org"}]}},
            headers=headers,
        ),
        "signup, a signer": client.post(
            "/api/v1/people",
            json={"person": {"email_addresses": [{"address": "a@example.org"}]}},
            headers=headers,
        ),
    }
    assert {name: answer.status_code for name, answer in answers.items()} == {
        "record signature": 202,
        "record outreach": 202,
        "signup, unknown address": 200,
        "signup, a signer": 200,
    }
    assert {name: answer.json["_links"].get("curies") for name, answer in answers.items()} == dict.fromkeys(
        answers, CURIES
    )

    _confirm_all(db)
    person = answers["signup, a signer"].json["_links"]["self"]["href"].rsplit("/", 1)[1]
    pages = [
        "/api/v1/tags",
        "/api/v1/petitions",
        "/api/v1/advocacy_campaigns",
        f"/api/v1/petitions/{petition.id}/signatures",
        f"/api/v1/advocacy_campaigns/{letters.id}/outreaches",
        "/api/v1/people",
        f"/api/v1/people/{person}/signatures",
        f"/api/v1/people/{person}/outreaches",
    ]
    shown = {path: _get(client, path, headers) for path in pages}
    assert {path: page["_links"].get("curies") for path, page in shown.items()} == dict.fromkeys(
        pages, CURIES
    )
    # Every item embedded in them too (empty /tags aside, each page has one).
    items = [item for page in shown.values() for found in page["_embedded"].values() for item in found]
    assert len(items) == len(pages) - 1
    assert all(item["_links"]["curies"] == CURIES for item in items)


def test_a_letter_campaigns_officials_are_the_targets_of_it_and_of_its_outreaches(
    client, db, make_campaign, api_user
):
    _staff, headers = api_user("staff@example.org", Role.STAFF)
    letters = _letters(db, make_campaign, "targets", _officials())
    # A routed campaign writes to each signer's own officials: whatever its list kept, it has no targets.
    routed = _letters(
        db,
        make_campaign,
        "routed",
        [Official(name="Left Over", title="MP", country="CA", email="lo@example.org")],
        Targeting.ROUTED,
    )
    for campaign in (letters, routed):
        recorded = client.post(
            f"/api/v1/advocacy_campaigns/{campaign.id}/outreaches",
            json={"person": _person("writer@example.org"), "message": "Please act."},
            headers=headers,
        )
        assert recorded.status_code == 202, recorded.json
    _confirm_all(db)
    expected = [
        {"name": "Ada Minister", "title": "Minister of Water", "organization": "Government"},
        {"name": "Morgan Ontario", "title": "MPP"},
    ]

    campaign = _get(client, f"/api/v1/advocacy_campaigns/{letters.id}", headers)
    assert campaign["targets"] == expected
    listed = _get(client, "/api/v1/advocacy_campaigns", headers)["_embedded"]["osdi:advocacy_campaigns"]
    assert {c["title"]: c["targets"] for c in listed} == {"Campaign targets": expected, "Campaign routed": []}

    outreaches = _get(client, campaign["_links"]["osdi:outreaches"]["href"], headers)["_embedded"][
        "osdi:outreaches"
    ]
    assert [o["targets"] for o in outreaches] == [expected]
    one = _get(client, outreaches[0]["_links"]["self"]["href"], headers)
    assert one["targets"] == expected and one["subject"] == "Campaign targets"
    person = _get(client, one["_links"]["osdi:person"]["href"], headers)
    by_person = _get(client, person["_links"]["osdi:outreaches"]["href"], headers)["_embedded"][
        "osdi:outreaches"
    ]
    assert sorted(map(str, (o["targets"] for o in by_person))) == sorted(map(str, [expected, []]))
    # The officials' addresses are never shown.
    everything = str([campaign, listed, outreaches, one, by_person])
    assert "mo@example.org" not in everything and "am@example.org" not in everything
