"""Signing through the form: what a supporter sees and what is stored."""

from sqlalchemy import func, select, text

from campaign.campaigns.models import CampaignStatus
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Person, Signature, SignatureStatus
from campaign.signing.service import email_index
from tests.support.forms import csrf_token
from tests.support.outbox import composed
from tests.support.plans import generic_plans, rows_read


def signatures(db):
    return db.session.execute(select(Signature)).scalars().all()


def outbox(db):
    return db.session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_signing_stores_a_pending_signature_and_owes_a_confirmation(db, make_campaign, sign):
    campaign = make_campaign(slug="recognize")
    response = sign(
        "recognize",
        email="Anahit.P+share@Gmail.com",
        source="whatsapp",
        email_opt_in="y",
        comment="For my family",
        comment_public="y",
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/campaigns/recognize/check-your-inbox"
    [signature] = signatures(db)
    assert signature.campaign_id == campaign.id
    assert signature.status == SignatureStatus.PENDING
    personal = signature.personal
    assert (personal.given_name, personal.family_name, signature.country) == ("Anahit", "Petrosyan", "AM")
    assert personal.comment == "For my family" and signature.masked_name == "A. P."
    assert signature.source == "whatsapp"
    assert signature.has_email_opt_in and signature.is_comment_public
    assert signature.consent_version
    assert signature.person.email_index == email_index("anahitp@gmail.com")
    assert len(signature.client_hash) == 64 and "127.0.0.1" not in signature.client_hash
    [row] = outbox(db)
    assert row.kind == "confirmation" and row.sealed is None and row.ref_id == signature.id
    [message] = composed(db)
    # Until the address confirms it, the name typed beside it is shown nowhere.
    assert message.recipient == "Anahit.P+share@gmail.com"
    assert "/confirm/" in message.body


def test_the_check_your_inbox_page_tells_what_to_do(client, make_campaign, sign):
    make_campaign(slug="recognize", title="Recognize Artsakh")
    page = client.get(sign("recognize").headers["Location"])
    assert page.status_code == 200
    assert "Check your inbox" in page.get_data(as_text=True)


def test_consents_are_off_unless_ticked(db, make_campaign, sign):
    make_campaign(slug="recognize")
    sign("recognize", comment="quiet")
    [signature] = signatures(db)
    assert not signature.has_email_opt_in
    assert not signature.is_comment_public


def test_the_same_gmail_written_differently_signs_once_and_sees_the_same_answer(db, make_campaign, sign):
    make_campaign(slug="recognize")
    first = sign("recognize", email="anahit.petrosyan@gmail.com")
    again = sign("recognize", email="Anahit.Petrosyan+again@googlemail.com")

    assert (again.status_code, again.headers["Location"]) == (first.status_code, first.headers["Location"])
    assert again.get_data() == first.get_data()
    assert len(signatures(db)) == 1
    assert db.session.execute(select(func.count(Person.id))).scalar_one() == 1
    # Still pending: the repeat signer is sent a fresh link rather than told anything on the page.
    kinds = [m.kind for m in outbox(db)]
    assert kinds == ["confirmation", "confirmation"]


def test_a_repeat_after_confirming_is_told_by_email_only(db, make_campaign, sign):
    make_campaign(slug="recognize")
    first = sign("recognize")
    [signature] = signatures(db)
    signature.status = SignatureStatus.VALIDATED
    db.session.commit()

    again = sign("recognize")
    assert again.headers["Location"] == first.headers["Location"]
    assert [m.kind for m in outbox(db)] == ["confirmation", "already-signed"]
    # A third attempt within the hour writes nothing more: no inbox flooding.
    sign("recognize")
    assert len(outbox(db)) == 2


def test_one_person_may_sign_different_campaigns(db, make_campaign, sign):
    make_campaign(slug="one")
    make_campaign(slug="two")
    sign("one")
    sign("two")
    assert len(signatures(db)) == 2
    assert db.session.execute(select(func.count(Person.id))).scalar_one() == 1


def test_the_honeypot_gets_the_usual_answer_and_stores_nothing(db, make_campaign, sign):
    make_campaign(slug="recognize")
    response = sign("recognize", website="http://spam.example")
    assert response.status_code == 303
    assert signatures(db) == [] and outbox(db) == []


def test_missing_and_malformed_fields_come_back_with_messages(db, make_campaign, sign):
    make_campaign(slug="recognize")
    response = sign("recognize", given_name="", email="not-an-address", country="ZZ", postal_code="<script>")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Please enter your first name." in page
    assert "Please check your email address" in page
    assert "Please choose your country from the list." in page
    assert "Please check your postal code." in page
    assert 'aria-invalid="true"' in page
    assert signatures(db) == [] and outbox(db) == []


def test_oversized_values_are_refused(db, make_campaign, sign):
    make_campaign(slug="recognize")
    response = sign("recognize", family_name="x" * 101, comment="y" * 1001)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Please shorten your last name to 100 characters." in page
    assert "Please shorten your comment to 1,000 characters." in page
    assert signatures(db) == []


def test_a_huge_body_is_refused_before_it_is_read(db, client, make_campaign):
    make_campaign(slug="recognize")
    response = client.post("/campaigns/recognize/sign", data={"comment": "x" * 200_000})
    assert response.status_code == 413
    assert signatures(db) == []


def test_newlines_in_a_name_cannot_reach_a_mail_header(db, make_campaign, sign):
    make_campaign(slug="recognize")
    response = sign("recognize", given_name="Ana\r\nBcc: victim@example.org")
    assert response.status_code == 400
    assert "a character we cannot accept: U+000D (a line break)" in response.get_data(as_text=True)
    assert outbox(db) == []


def test_a_region_must_belong_to_the_country(db, make_campaign, sign):
    make_campaign(slug="recognize")
    assert sign("recognize", country="CA", region="US-NY").status_code == 400
    assert sign("recognize", country="CA", region="ca-on").status_code == 303
    assert signatures(db)[0].region == "CA-ON"


def test_the_form_needs_no_token_and_a_post_from_another_site_is_refused(db, client, make_campaign):
    # The campaign page is the same for everyone (cached): the browser's origin headers guard the post.
    make_campaign(slug="recognize")
    form = {"given_name": "A", "family_name": "B", "email": "a@example.org", "country": "AM"}
    forged = client.post("/campaigns/recognize/sign", data=form, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    assert signatures(db) == []
    own = client.post("/campaigns/recognize/sign", data=form, headers={"Origin": "http://localhost"})
    assert own.status_code == 303
    assert len(signatures(db)) == 1


def test_a_campaign_closed_while_the_form_was_open_takes_no_signature(db, client, make_campaign):
    campaign = make_campaign(slug="closed")
    token = csrf_token(client.get("/campaigns/closed").get_data(as_text=True))
    campaign.status = CampaignStatus.CLOSED
    db.session.commit()
    response = client.post(
        "/campaigns/closed/sign",
        data={
            "csrf_token": token,
            "given_name": "A",
            "family_name": "B",
            "email": "a@example.org",
            "country": "AM",
        },
    )
    assert response.status_code == 409
    assert "closed" in response.get_data(as_text=True)
    assert signatures(db) == []


def test_a_draft_is_not_public(client, make_campaign):
    make_campaign(slug="open")
    make_campaign(slug="draft", status=CampaignStatus.DRAFT)
    token = csrf_token(client.get("/campaigns/open").get_data(as_text=True))
    assert client.get("/campaigns/draft").status_code == 404
    assert client.post("/campaigns/draft/sign", data={"csrf_token": token}).status_code == 404
    assert client.get("/campaigns/draft/count.json").status_code == 404


def test_a_script_in_a_name_is_shown_as_text(db, make_campaign, sign):
    make_campaign(slug="recognize")
    response = sign("recognize", given_name="<script>alert(1)</script>", email="bad")
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_sign_says_what_it_came_to_and_which_signature_it_is(app, db, make_campaign):
    from campaign.signing import confirmation, service
    from campaign.signing.service import SignatureRequest, SignOutcome

    campaign = make_campaign(slug="outcomes")
    asked = SignatureRequest(given_name="Anahit", family_name="P", email="anahit@example.org", country="AM")
    with app.test_request_context():
        first = service.sign(campaign, asked)
        db.session.commit()
        again = service.sign(campaign, asked)
        db.session.commit()
        assert (first.outcome, first.is_new) == (SignOutcome.NEW, True)
        # The repeat names the first signature (read in the same statement), still pending.
        assert (again.outcome, again.is_new) == (SignOutcome.REPEAT_PENDING, False)
        assert (again.signature_id, again.person_id) == (first.signature_id, first.person_id)
        confirmation.confirm(first.signature_id)
        db.session.commit()
        after = service.sign(campaign, asked)
        db.session.commit()
    assert after.outcome == SignOutcome.REPEAT_SIGNED and after.signature_id == first.signature_id
    stored = db.session.execute(select(Signature).where(Signature.campaign_id == campaign.id)).scalars().all()
    assert [s.id for s in stored] == [first.signature_id]


def test_a_sign_reads_one_signature_of_its_campaign_whatever_plan_was_kept(app, db, make_campaign):
    # psycopg prepares a statement run often, and PostgreSQL may keep a generic plan made while
    # the table was small until an ANALYZE (none runs with autovacuum off): the soak's sign
    # statement, so kept, read every signature of the campaign to find the signer's earlier one,
    # and the soak's rate fell from 100 to 58 a second as the table grew.
    from campaign.signing import service
    from campaign.signing.service import SignatureRequest

    campaign = make_campaign(slug="kept-plan")
    db.session.execute(text("ANALYZE people, signatures"))  # empty: another test may have left them large
    with generic_plans(db), app.test_request_context():
        asked = SignatureRequest(given_name="A", family_name="P", email="first@example.org", country="AM")
        service.sign(campaign, asked)  # prepared now, on an empty table
        db.session.execute(
            text(
                "INSERT INTO people (email_index, created_at)"
                " SELECT md5('kept-' || i) || md5(i::text), now() FROM generate_series(1, 3000) AS i"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO signatures (campaign_id, person_id, status, masked_name, country,"
                " is_comment_public, has_email_opt_in, consent_version, is_counted, created_at)"
                " SELECT :campaign, id, 'pending', 'A. P.', 'AM', false, false, 'v1', false, now()"
                " FROM people WHERE id NOT IN (SELECT person_id FROM signatures)"
            ),
            {"campaign": campaign.id},
        )
        before = rows_read(db, "signatures")
        asked = SignatureRequest(given_name="B", family_name="Q", email="later@example.org", country="AM")
        signed = service.sign(campaign, asked)
        read = rows_read(db, "signatures") - before
        assert signed.is_new
        assert read < 10, f"one sign read {read} rows of signatures"
