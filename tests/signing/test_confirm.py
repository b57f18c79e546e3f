"""Confirming a signature from the link in the email."""

import re
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import select, update

from campaign.mail import suppressions
from campaign.mail.models import OutboxMessage, SuppressionReason
from campaign.signing.models import Signature, SignatureStatus
from campaign.signing.service import email_index
from campaign.signing.tokens import confirmation_token
from tests.support.forms import csrf_token
from tests.support.outbox import bodies


def confirm_path(db):
    body = bodies(db)[0]
    return re.search(r"http://localhost(/confirm/\S+)", body).group(1)


def status(db):
    db.session.expire_all()
    return db.session.execute(select(Signature.status)).scalar_one()


def test_opening_the_link_changes_nothing_until_the_button_is_pressed(db, client, make_campaign, sign):
    make_campaign(slug="recognize")
    sign("recognize")
    path = confirm_path(db)

    page = client.get(path)
    assert page.status_code == 200
    assert "Confirm my signature" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert status(db) == SignatureStatus.PENDING

    done = client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert done.status_code == 303
    # The thank-you page, told the signer's receipt in the public ledger.
    location = urlsplit(done.headers["Location"])
    assert location.path == "/campaigns/recognize/thanks"
    [receipt] = parse_qs(location.query)["receipt"]
    assert status(db) == SignatureStatus.VALIDATED
    thanks = unquote(client.get(done.headers["Location"]).get_data(as_text=True))
    assert "Thank you" in thanks
    assert f'href="/campaigns/recognize/receipts/{receipt}"' in thanks
    assert "source=whatsapp" in thanks and "source=telegram" in thanks and "source=copy-link" in thanks


def test_confirming_twice_is_harmless(db, client, make_campaign, sign):
    make_campaign(slug="recognize")
    sign("recognize")
    path = confirm_path(db)
    token = csrf_token(client.get(path).get_data(as_text=True))
    assert client.post(path, data={"csrf_token": token}).status_code == 303
    first_validated_at = db.session.execute(select(Signature.validated_at)).scalar_one()
    assert client.post(path, data={"csrf_token": token}).status_code == 303
    db.session.expire_all()
    assert db.session.execute(select(Signature.validated_at)).scalar_one() == first_validated_at


def test_an_altered_token_gets_a_friendly_page(db, client, make_campaign, sign):
    make_campaign(slug="recognize")
    sign("recognize")
    path = confirm_path(db)
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    page = client.get(forged)
    assert page.status_code == 400
    assert "This link does not work" in page.get_data(as_text=True)
    token = csrf_token(client.get("/campaigns/recognize").get_data(as_text=True))
    assert client.post(forged, data={"csrf_token": token}).status_code == 400
    assert status(db) == SignatureStatus.PENDING


def test_a_token_for_a_signature_that_does_not_exist_is_refused(db, client, app, make_campaign):
    make_campaign(slug="recognize")
    with app.test_request_context():
        path = f"/confirm/{confirmation_token(999_999)}"
    assert client.get(path).status_code == 400


def test_an_expired_link_offers_a_new_one(db, client, app, make_campaign, sign):
    make_campaign(slug="recognize")
    sign("recognize")
    path = confirm_path(db)
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
    try:
        page = client.get(path)
        assert page.status_code == 400
        assert "This link has expired" in page.get_data(as_text=True)
        renewed = client.post(path + "/renew", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
        assert renewed.status_code == 200
        assert "Check your inbox" in renewed.get_data(as_text=True)
    finally:
        app.config["CONFIRM_TOKEN_MAX_AGE"] = 14 * 24 * 3600
    kinds = db.session.execute(select(OutboxMessage.dedupe_key).order_by(OutboxMessage.id)).scalars().all()
    assert len(kinds) == 2 and ":renew:" in kinds[1]
    assert status(db) == SignatureStatus.PENDING


def test_an_expired_link_to_a_stopped_address_owes_nothing_and_says_how_to_let_email_through(
    db, client, app, make_campaign, sign
):
    make_campaign(slug="recognize")
    sign("recognize", email="stopped@example.org")
    path = confirm_path(db)
    suppressions.suppress(email_index("stopped@example.org"), SuppressionReason.STOPPED)
    db.session.commit()
    app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
    try:
        page = client.get(path)
        renewed = client.post(path + "/renew", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    finally:
        app.config["CONFIRM_TOKEN_MAX_AGE"] = 14 * 24 * 3600
    assert renewed.status_code == 200
    assert "If you once stopped all email from us" in renewed.get_data(as_text=True)
    # No fresh link is owed to an address its owner stopped: it would only be dropped unsent.
    keys = db.session.execute(select(OutboxMessage.dedupe_key)).scalars().all()
    assert len(keys) == 1 and ":renew:" not in keys[0]


def test_a_campaign_taken_down_takes_no_confirmation(db, client, make_campaign, sign):
    from campaign.campaigns.models import Campaign, CampaignStatus

    make_campaign(slug="recognize")
    sign("recognize")
    path = confirm_path(db)
    token = csrf_token(client.get(path).get_data(as_text=True))
    db.session.execute(update(Campaign).values(status=CampaignStatus.TAKEN_DOWN))
    db.session.commit()
    client.post(path, data={"csrf_token": token})
    assert status(db) == SignatureStatus.PENDING


def test_a_signature_given_while_open_counts_when_confirmed_after_closing(db, client, make_campaign, sign):
    from campaign.campaigns.models import Campaign, CampaignStatus

    make_campaign(slug="recognize")
    sign("recognize")
    path = confirm_path(db)
    token = csrf_token(client.get(path).get_data(as_text=True))
    db.session.execute(update(Campaign).values(status=CampaignStatus.CLOSED))
    db.session.commit()
    client.post(path, data={"csrf_token": token})
    assert status(db) == SignatureStatus.VALIDATED
