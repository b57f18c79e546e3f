"""Which events are owed, to whom, and what they say: written in the transaction of what happened."""

from __future__ import annotations

import json

from sqlalchemy import select

from campaign.campaigns.models import Campaign, CampaignKind
from campaign.signing.models import Signature, SignatureStatus
from campaign.webhooks import delivery as webhooks
from campaign.webhooks import events, payloads, service
from campaign.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.support.signers import add_signature
from tests.support.webhooks import deliveries


def owed(db):
    """(event, signature id) of every delivery owed."""
    return [(d.event, d.ref_id) for d in deliveries(db)]


def test_signing_owes_signature_added_and_withdrawing_owes_signature_withdrawn(
    db, make_campaign, organization, register, sign
):
    from campaign.signing import supporters

    campaign = make_campaign(slug="recognize", organization_id=organization["organization"].id)
    register(
        organization["organization"], "http://127.0.0.1:9/hook", "signature.added", "signature.withdrawn"
    )
    other = make_campaign(slug="elsewhere")  # another organization's (none): nobody is told

    sign("recognize", email="anahit@example.org")
    sign("elsewhere", email="anahit@example.org")

    signature = db.session.execute(select(Signature).where(Signature.campaign_id == campaign.id)).scalar_one()
    assert owed(db) == [("signature.added", signature.id)]
    assert db.session.execute(select(Signature).where(Signature.campaign_id == other.id)).scalar_one()

    assert supporters.withdraw(signature.person_id, signature.id)
    db.session.commit()
    assert owed(db) == [("signature.added", signature.id), ("signature.withdrawn", signature.id)]
    # Erasing everything afterwards owes nothing more: each event once per endpoint.
    supporters.erase(signature.person_id)
    db.session.commit()
    assert len(owed(db)) == 2


def test_no_event_for_fraudulent_signatures_disabled_endpoints_or_events_not_asked_for(
    db, make_campaign, organization, register
):
    campaign = make_campaign(slug="recognize", organization_id=organization["organization"].id)
    endpoint, _secret = register(
        organization["organization"], "http://127.0.0.1:9/hook", "signature.confirmed"
    )
    fraudulent = add_signature(db, campaign.id, "bot@example.org", status=SignatureStatus.FRAUDULENT)
    good = add_signature(db, campaign.id, "anahit@example.org")

    assert events.emit(events.SIGNATURE_CONFIRMED, [fraudulent.id]) == 0
    assert events.emit(events.SIGNATURE_WITHDRAWN, [good.id]) == 0  # not asked for
    assert events.emit(events.SIGNATURE_CONFIRMED, [good.id]) == 1
    assert events.emit(events.SIGNATURE_CONFIRMED, [good.id]) == 0  # once
    endpoint.is_enabled = False
    other = add_signature(db, campaign.id, "sona@example.org")
    assert events.emit(events.SIGNATURE_CONFIRMED, [other.id]) == 0
    db.session.commit()
    assert owed(db) == [("signature.confirmed", good.id)]


def test_a_campaign_is_told_watched_exactly_when_emit_would_write_for_it(
    db, make_campaign, organization, register
):
    # The sign statement asks is_wanted instead of emitting when nobody listens: the two must agree.
    campaign = make_campaign(slug="recognize", organization_id=organization["organization"].id)
    unowned = make_campaign(slug="elsewhere")

    def watched(event, campaign_id):
        wanted = events.is_wanted(event, Campaign.organization_id)
        return db.session.execute(select(wanted).where(Campaign.id == campaign_id)).scalar_one()

    signers = iter(range(100))

    def agree(event):
        for target in (campaign, unowned):
            signature = add_signature(db, target.id, f"signer-{next(signers)}@example.org")
            assert watched(event, target.id) == (events.emit(event, [signature.id]) > 0), (event, target.slug)

    agree(events.SIGNATURE_ADDED)  # no endpoint at all
    owner = organization["organization"]
    endpoint, _secret = register(owner, "http://127.0.0.1:9/hook", "signature.confirmed")
    agree(events.SIGNATURE_ADDED)  # an endpoint, for other events
    agree(events.SIGNATURE_CONFIRMED)
    endpoint.is_enabled = False
    agree(events.SIGNATURE_CONFIRMED)  # off
    register(owner, "http://127.0.0.1:9/other", "signature.added", "signature.withdrawn")
    agree(events.SIGNATURE_ADDED)
    agree(events.SIGNATURE_WITHDRAWN)
    assert watched(events.SIGNATURE_ADDED, campaign.id) and not watched(events.SIGNATURE_ADDED, unowned.id)
    db.session.commit()


def test_the_event_carries_the_signer_only_if_the_organization_lets_members_export(
    db, make_campaign, organization, register
):
    org = organization["organization"]
    campaign = make_campaign(slug="recognize", organization_id=org.id)
    register(org, "http://127.0.0.1:9/hook", "signature.confirmed")
    signature = add_signature(
        db,
        campaign.id,
        "anahit@example.org",
        given_name="Anahit",
        family_name="Petrosyan",
        postal_code="0010",
        comment="For the children of Stepanakert",
        country="AM",
        region="AM-ER",
    )
    events.emit(events.SIGNATURE_CONFIRMED, [signature.id])
    db.session.commit()
    [delivery] = deliveries(db)

    without = json.dumps(payloads.payload(delivery))
    for personal in ("anahit@example.org", "Anahit", "Petrosyan", "0010", "Stepanakert"):
        assert personal not in without
    assert json.loads(without)["osdi:signature"]["_links"]["osdi:person"]["href"].endswith(
        f"/api/v1/people/{signature.person_id}"
    )

    org.allows_member_exports = True
    db.session.commit()
    shown = payloads.payload(delivery)
    assert shown["type"] == "signature.confirmed"
    assert shown["id"] == payloads.event_id("signature.confirmed", signature.id)
    person = shown["osdi:signature"]["person"]
    assert person["given_name"] == "Anahit" and person["family_name"] == "Petrosyan"
    assert person["email_addresses"] == [{"address": "anahit@example.org", "primary": True}]
    assert person["postal_addresses"] == [
        {"primary": True, "country": "AM", "postal_code": "0010", "region": "ER"}
    ]
    assert shown["osdi:signature"]["comments"] == "For the children of Stepanakert"


def test_a_sent_letter_owes_outreach_sent(app, db, make_campaign, organization, register, mailbox):
    from campaign.mail import sending as mail
    from campaign.signing.confirmation import confirm
    from campaign.targets.models import LetterCampaign, LetterTarget, Official, Targeting

    org = organization["organization"]
    campaign = make_campaign(slug="letters", kind=CampaignKind.LETTER, organization_id=org.id)
    official = Official(name="Claire France", title="Minister", body="", country="FR", email="fr@example.org")
    db.session.add(official)
    db.session.add(
        LetterCampaign(
            campaign_id=campaign.id,
            subject_template="From $name",
            body_template="Dear $official_name,\n$name",
            targeting=Targeting.FIXED,
        )
    )
    db.session.flush()
    db.session.add(LetterTarget(campaign_id=campaign.id, official_id=official.id))
    db.session.commit()
    register(org, "http://127.0.0.1:9/hook", "outreach.sent")
    signature = add_signature(
        db, campaign.id, "anahit@example.org", status=SignatureStatus.PENDING, country="FR"
    )
    confirm(signature.id)
    db.session.commit()
    assert owed(db) == []  # owed once the letter leaves, not before

    mail.pump(batch=10, seconds=5)

    assert mailbox.wait_for("fr@example.org")
    assert owed(db) == [("outreach.sent", signature.id)]
    [delivery] = deliveries(db)
    assert "osdi:outreach" in payloads.payload(delivery)


def test_the_worker_refuses_an_endpoint_that_now_resolves_to_a_private_address(
    app, db, quiet, make_campaign, organization
):
    org = organization["organization"]
    campaign = make_campaign(slug="recognize", organization_id=org.id)
    # Accepted once (say its name resolved to a public address then): checked again before each post.
    sealed = service._new_secret()[1]
    db.session.add(
        WebhookEndpoint(
            organization_id=org.id,
            url="https://10.1.2.3/hook",
            events="signature.confirmed",
            secret_sealed=sealed,
            secret_hint="abcd",
        )
    )
    db.session.commit()
    signature = add_signature(db, campaign.id, "anahit@example.org")
    with quiet.app_context():  # its pumps asked for are never taken: this test pumps
        events.emit(events.SIGNATURE_CONFIRMED, [signature.id])
        db.session.commit()
        webhooks.pump(batch=5, seconds=5)

    [delivery] = deliveries(db)
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_error == "private-address:10.1.2.3"
    assert delivery.response_code is None


def test_the_command_line_adds_lists_and_removes_endpoints(app, db, organization, receiver):
    runner = app.test_cli_runner()
    slug = organization["organization"].slug

    added = runner.invoke(args=["webhooks", "add", slug, receiver.url, "--event", "signature.added"])
    assert added.exit_code == 0, added.output
    assert added.stdout.strip().startswith("whsec_")
    endpoint = db.session.execute(select(WebhookEndpoint)).scalar_one()
    listed = runner.invoke(args=["webhooks", "list", slug])
    assert f"{endpoint.id}\ton\tsignature.added\t{receiver.url}" in listed.output
    refused = runner.invoke(args=["webhooks", "add", slug, "https://10.0.0.1/hook"])
    assert refused.exit_code != 0 and "private" in refused.output
    removed = runner.invoke(args=["webhooks", "remove", str(endpoint.id)])
    assert removed.exit_code == 0
    db.session.expire_all()
    assert db.session.execute(select(WebhookDelivery)).first() is None
    assert db.session.execute(select(WebhookEndpoint)).first() is None


def test_signature_added_carries_only_the_signatures_own_fields_even_where_signers_may_be_exported(
    db, make_campaign, organization, register
):
    from campaign.signing import supporters
    from campaign.signing.confirmation import confirm

    org = organization["organization"]
    org.allows_member_exports = True
    campaign = make_campaign(slug="recognize", organization_id=org.id)
    register(org, "http://127.0.0.1:9/hook", "signature.added", "signature.confirmed", "signature.withdrawn")
    # Anyone may type someone else's address: nothing of it leaves before its owner confirms.
    signature = add_signature(
        db,
        campaign.id,
        "anahit@example.org",
        status=SignatureStatus.PENDING,
        given_name="Anahit",
        family_name="Petrosyan",
        postal_code="0010",
        comment="For the children of Stepanakert",
        country="AM",
        region="AM-ER",
    )
    events.emit(events.SIGNATURE_ADDED, [signature.id])
    db.session.commit()
    personal = ("anahit@example.org", "Anahit", "Petrosyan", "0010", "Stepanakert", "AM-ER", "/people/")

    def added():
        shown = payloads.payload(deliveries(db)[0])
        assert not any(value in json.dumps(shown) for value in personal)
        assert not payloads.carries_personal_data(shown)
        return shown["osdi:signature"]

    shown = added()
    assert sorted(shown) == sorted(
        ["identifiers", "origin_system", "created_date", "modified_date", "action_date", "status", "_links"]
    )
    assert shown["status"] == "pending" and shown["identifiers"] == [f"campaigns:{signature.id}"]
    assert sorted(shown["_links"]) == ["curies", "osdi:petition", "self"]
    assert shown["_links"]["self"]["href"].endswith(f"/petitions/{campaign.id}/signatures/{signature.id}")

    # Confirmed: that event carries the signer (the organization may export); the added one still not.
    assert confirm(signature.id)
    db.session.commit()
    assert added()["status"] == "pending"
    confirmed = payloads.payload(deliveries(db)[1])
    assert confirmed["type"] == "signature.confirmed" and payloads.carries_personal_data(confirmed)
    assert confirmed["osdi:signature"]["person"]["family_name"] == "Petrosyan"

    # Withdrawn: ids and links again.
    assert signature.person_id is not None
    assert supporters.withdraw(signature.person_id, signature.id)
    db.session.commit()
    withdrawn = payloads.payload(deliveries(db)[2])
    assert withdrawn["type"] == "signature.withdrawn" and not payloads.carries_personal_data(withdrawn)
    assert "Petrosyan" not in json.dumps(withdrawn) and "Stepanakert" not in json.dumps(withdrawn)


def test_a_delivery_carrying_personal_data_is_audited_and_one_without_is_not(
    db, quiet, make_campaign, organization, register, receiver
):
    from campaign.signing.confirmation import confirm
    from tests.support.audit import events as audited

    org = organization["organization"]
    org.allows_member_exports = True
    campaign = make_campaign(slug="recognize", organization_id=org.id)
    endpoint, _secret = register(org, receiver.url, "signature.added", "signature.confirmed")
    signature_id = add_signature(db, campaign.id, "anahit@example.org", status=SignatureStatus.PENDING).id

    with quiet.app_context():  # its pumps asked for are never taken: this test pumps
        events.emit(events.SIGNATURE_ADDED, [signature_id])
        db.session.commit()
        webhooks.pump(batch=5, seconds=5)
        assert confirm(signature_id)
        db.session.commit()
        webhooks.pump(batch=5, seconds=5)

    assert [event.json()["type"] for event in receiver.received] == ["signature.added", "signature.confirmed"]
    assert b"anahit@example.org" in receiver.received[1].body
    [sent] = audited(db, "webhooks.signers_sent")
    assert (sent.actor, sent.subject) == ("system:webhooks", f"webhook:{endpoint.id}")
    assert sent.details == {"signature": signature_id, "event": "signature.confirmed"}
