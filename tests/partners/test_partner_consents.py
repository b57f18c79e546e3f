"""The sign form's consent to each partner: unticked, stored with its words and language only when ticked,
only for the campaign's accepted partners, deleted when the signer withdraws or erases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from campaign.partners.models import PartnerConsent
from campaign.signing.models import Signature
from tests.campaigns.test_index_translations import counted_queries
from tests.support.partners import invite


def _consents(db: Any) -> list[tuple[str, int, str, str]]:
    """(the signer's masked name, partner, words, language) of every stored consent."""
    rows = db.session.execute(
        select(
            Signature.masked_name,
            PartnerConsent.organization_id,
            PartnerConsent.wording,
            PartnerConsent.language,
        )
        .join(Signature, Signature.id == PartnerConsent.signature_id)
        .order_by(PartnerConsent.id)
    ).all()
    return [tuple(row) for row in rows]


def test_a_ticked_box_stores_its_words_and_an_unticked_one_nothing(db, cohosted, sign):
    a, b = cohosted.partner_a, cohosted.partner_b
    assert sign("dont-be-blind", partners=[str(a.id)]).status_code == 303
    assert sign("dont-be-blind", email="ohan@example.org", given_name="Ohan").status_code == 303

    assert _consents(db) == [("A. P.", a.id, "Another Group may email me", "en")]
    assert b.id not in {row[1] for row in _consents(db)}


def test_the_words_are_stored_in_the_language_the_form_was_read_in(db, cohosted, sign, client):
    a = cohosted.partner_a
    french = client.get("/campaigns/dont-be-blind?lang=fr")
    assert french.status_code == 200
    answer = sign("dont-be-blind", partners=[str(a.id)], test_client=client)
    assert answer.status_code == 303
    [(_, _, _, language)] = _consents(db)
    signature = db.session.execute(select(Signature)).scalar_one()
    assert language == signature.language


def test_ids_that_are_not_the_campaign_partners_are_ignored(db, cohosted, sign, make_campaign, app):
    from campaign.accounts.models import Role
    from campaign.accounts.organizations import create_organization
    from tests.support.people import signed_in

    team = cohosted.team
    _, stranger = signed_in(app, db, "stranger@example.org", Role.ORGANIZER)
    unrelated = create_organization("Unrelated", stranger)
    db.session.commit()
    # Invited but not (yet) accepted: not a partner either.
    other = make_campaign(slug="other", organization_id=team.organization.id)
    assert invite(team.organizer, cohosted.campaign, "Unrelated").status_code == 303
    hostile = ["abc", "-1", "9" * 40, "", " ", "\u0661", "1e3", str(team.organization.id), str(unrelated.id)]

    answer = sign("dont-be-blind", partners=hostile)
    assert answer.status_code == 303
    assert sign("other", email="ohan@example.org", partners=[str(cohosted.partner_a.id)]).status_code == 303

    assert _consents(db) == []
    assert db.session.execute(select(Signature.campaign_id).order_by(Signature.id)).scalars().all() == [
        cohosted.campaign.id,
        other.id,
    ]


def test_a_repeat_signature_adds_no_consent(db, cohosted, sign):
    a, b = cohosted.partner_a, cohosted.partner_b
    assert sign("dont-be-blind", partners=[str(a.id)]).status_code == 303
    assert sign("dont-be-blind", partners=[str(b.id)]).status_code == 303
    assert [row[1] for row in _consents(db)] == [a.id]


def test_no_query_more_without_partners_and_one_insert_with_them(db, cohosted, client, make_campaign, app):
    bare = make_campaign(slug="bare", organization_id=cohosted.team.organization.id)
    form = {
        "csrf_token": "origin-checked",
        "given_name": "Anahit",
        "family_name": "Petrosyan",
        "country": "AM",
    }
    for slug in ("bare", "dont-be-blind"):
        assert client.get(f"/campaigns/{slug}").status_code == 200  # the page as a visitor opens it
        # A first signature each: what a process reads once (keys, views) is read by then.
        assert (
            client.post(f"/campaigns/{slug}/sign", data={**form, "email": "first@example.org"}).status_code
            == 303
        )

    with counted_queries(app) as for_bare:
        answer = client.post("/campaigns/bare/sign", data={**form, "email": "a@example.org"})
    with counted_queries(app) as for_partnered:
        answer_with = client.post(
            "/campaigns/dont-be-blind/sign",
            data={**form, "email": "b@example.org", "partners": [str(cohosted.partner_a.id)]},
        )

    assert answer.status_code == answer_with.status_code == 303
    assert not [statement for statement in for_bare if "partner" in statement]
    about_partners = [statement for statement in for_partnered if "partner" in statement]
    assert len(about_partners) == 1 and about_partners[0].startswith("INSERT INTO partner_consents")
    assert len(for_partnered) == len(for_bare) + 1
    assert bare.id


def test_withdrawing_or_erasing_deletes_the_consents(db, cohosted, sign):
    from campaign.signing import supporters

    a = cohosted.partner_a
    assert sign("dont-be-blind", partners=[str(a.id)]).status_code == 303
    assert sign("dont-be-blind", email="ohan@example.org", partners=[str(a.id)]).status_code == 303
    first, second = db.session.execute(select(Signature).order_by(Signature.id)).scalars().all()

    assert supporters.withdraw(first.person_id, first.id)
    db.session.commit()
    assert [row[0] for row in _consents(db)] == ["A. P."]  # the second signer's, kept
    supporters.erase(second.person_id)
    db.session.commit()
    assert _consents(db) == []


def test_a_form_sent_back_with_errors_keeps_the_boxes_as_ticked(db, cohosted, client):
    a, b = cohosted.partner_a, cohosted.partner_b
    answer = client.post(
        "/campaigns/dont-be-blind/sign",
        data={
            "csrf_token": "origin-checked",
            "given_name": "Anahit",
            "country": "AM",
            "partners": [str(b.id)],
        },
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Please enter your email address." in html
    assert f'<input id="partner-{b.id}" name="partners" type="checkbox" value="{b.id}" checked>' in html
    assert f'<input id="partner-{a.id}" name="partners" type="checkbox" value="{a.id}">' in html
    assert _consents(db) == []


def test_the_supporters_own_page_shows_the_partner_boxes_they_ticked_in_the_words_they_read(
    db, cohosted, sign, client
):
    import re

    from tests.support.outbox import bodies

    a, b = cohosted.partner_a, cohosted.partner_b
    assert sign("dont-be-blind", partners=[str(a.id)]).status_code == 303
    my_path = re.search(r"http://localhost(/my/\S+)", bodies(db, "confirmation")[-1]).group(1)
    page = client.get(my_path).get_data(as_text=True)
    assert "“Another Group may email me”: yes" in page
    # Only what they ticked: not the partner whose box they left empty.
    assert f"{b.name} may email me" not in page
