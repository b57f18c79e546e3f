"""The letter a signer sees before signing, with and without JavaScript."""

from sqlalchemy import func, select

from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature
from tests.support.forms import csrf_token


def test_the_page_shows_the_letter_with_placeholders_and_how_officials_are_chosen(
    client, officials, make_letter_campaign
):
    make_letter_campaign()
    page = client.get("/campaigns/letters").get_data(as_text=True)
    assert "Your letter, as it will be sent" in page
    assert 'Suspend the permits, from <span data-slot="name">[your name]</span>' in page
    assert '<span data-slot="message">[your own words]</span>' in page
    assert '<span data-slot="official_name">[the official&#39;s name]</span>' in page
    assert "The officials are chosen by your country and region" in " ".join(page.split())
    assert '<option value="CA-ON">Ontario, Canada</option>' in page
    assert 'name="reply_to_opt_in" type="checkbox" value="y">' in page  # unchecked by default
    assert "/static/js/letter.js" in page
    assert "<script>" not in page and "style=" not in page


def test_a_fixed_list_is_shown_by_name(client, officials, make_letter_campaign):
    make_letter_campaign(targets=[officials["fr"]])
    page = client.get("/campaigns/letters").get_data(as_text=True)
    assert "<li>Claire France, Minister for Foreign Affairs</li>" in page
    assert "chosen by your country" not in page


def test_a_petition_has_no_letter_and_no_reply_to_consent(client, make_campaign):
    make_campaign(slug="petition")
    page = client.get("/campaigns/petition").get_data(as_text=True)
    assert "reply_to_opt_in" not in page and "Your letter" not in page


def test_the_preview_button_shows_the_filled_in_letter_without_signing(
    db, client, officials, make_letter_campaign
):
    make_letter_campaign()
    page = client.get("/campaigns/letters")
    answer = client.post(
        "/campaigns/letters/letter-preview",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "given_name": "Anahit",
            "family_name": "Petrosyan",
            "email": "anahit@example.org",
            "country": "CA",
            "region": "CA-ON",
            "message": "Please <b>act</b> now.",
        },
    )
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert '<span data-slot="name">Anahit Petrosyan</span>' in html
    assert "Please &lt;b&gt;act&lt;/b&gt; now." in html
    assert '<span data-slot="place">Ontario, Canada</span>' in html
    for name in ("Alex Federal", "Jordan Federal", "Morgan Ontario"):
        assert f"<li>{name}," in html
    assert "Camille Quebec" not in html
    assert '<option value="CA-ON" selected>' in html
    assert db.session.execute(select(func.count()).select_from(Signature)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


def test_a_preview_of_an_incomplete_form_says_what_is_missing(client, officials, make_letter_campaign):
    make_letter_campaign()
    page = client.get("/campaigns/letters")
    answer = client.post(
        "/campaigns/letters/letter-preview",
        data={"csrf_token": csrf_token(page.get_data(as_text=True)), "country": "CA", "region": "FR-75C"},
    )
    assert answer.status_code == 400
    assert "Please enter your first name." in answer.get_data(as_text=True)


def test_the_routed_officials_are_listed_for_the_script(client, officials, make_letter_campaign):
    make_letter_campaign()
    found = client.get("/campaigns/letters/officials.json?country=ca&region=CA-ON").json["officials"]
    assert sorted(o["name"] for o in found) == ["Alex Federal", "Jordan Federal", "Morgan Ontario"]
    assert "email" not in found[0]
    assert client.get("/campaigns/letters/officials.json?country=XX").status_code == 400
    assert client.get("/campaigns/letters/officials.json?country=CA&region=FR-75C").status_code == 400
    assert client.get("/campaigns/nothing/officials.json?country=CA").status_code == 404


def test_a_letter_the_signer_may_not_edit_has_no_paragraph_field(client, officials, make_letter_campaign):
    make_letter_campaign(is_signer_editable=False)
    page = client.get("/campaigns/letters").get_data(as_text=True)
    assert 'name="message"' not in page and "[your own words]" not in page


def test_a_signer_from_a_country_without_officials_is_told_before_signing(
    client, officials, make_letter_campaign
):
    make_letter_campaign()
    page = client.get("/campaigns/letters")
    answer = client.post(
        "/campaigns/letters/letter-preview",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "given_name": "Ani",
            "family_name": "K",
            "email": "ani@example.org",
            "country": "AM",
        },
    )
    assert answer.status_code == 200
    assert "No officials are listed for your country yet" in " ".join(answer.get_data(as_text=True).split())
