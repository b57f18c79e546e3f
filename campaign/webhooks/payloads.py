"""What a webhook delivery says: the event in OSDI's shapes, its id, and the signature over its body.

Personal data (the signer's name, email and postal address, their comment, a
letter's own words) is sent only with `signature.confirmed`, and only when the
organization lets its members export signers (the API's rule for personal
data); each such delivery is audited (campaign.webhooks.delivery).
`signature.added` never carries any: anyone can type someone else's address
into a sign form, and until that address's owner confirms, nothing says the
signature is theirs. It carries the signature's own fields only: its id and
links (itself, its campaign), status "pending" and its dates.
`signature.withdrawn` and `outreach.sent` carry the signature without the
personal fields, as every event does for an organization that does not let
its members export.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from campaign.accounts.models import Organization
from campaign.api import actions, resources
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.extensions import db
from campaign.links import absolute_url
from campaign.signing.models import Signature, SignatureStatus
from campaign.webhooks.models import SIGNATURE_ADDED, SIGNATURE_CONFIRMED, WebhookDelivery

# What of a signature is a person's: sent only as the module's words say.
PERSONAL_KEYS = ("person", "comments", "message")


def event_id(event: str, ref_id: int) -> str:
    """The event's id, the same on every retry and for every endpoint: what a receiver de-duplicates by."""
    return "evt_" + hashlib.sha256(f"{event}:{ref_id}".encode()).hexdigest()[:32]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Campaign-Signature header: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>"> under the secret."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def payload(delivery: WebhookDelivery) -> dict[str, Any]:
    """The event in OSDI's shapes, written now (in the worker, which holds the keys).

    A signature (osdi:signature; on a letter campaign osdi:outreach) with its
    links; with `signature.confirmed` only, its comment, own words and the
    person's name and addresses if the organization lets its members export
    signers (the API's rule). `signature.added`: the signature's own fields
    as it was added (pending), nothing of the person (see the module's words).
    """
    campaign = db.session.get_one(Campaign, delivery.campaign_id)
    organization = (
        db.session.get(Organization, campaign.organization_id) if campaign.organization_id else None
    )
    is_personal = (
        delivery.event == SIGNATURE_CONFIRMED
        and organization is not None
        and organization.allows_member_exports
    )
    is_letter = campaign.kind == CampaignKind.LETTER
    signature = db.session.get(Signature, delivery.ref_id)
    if delivery.event == SIGNATURE_ADDED:
        shown = _as_added(signature, delivery, is_letter)
    else:
        shown = _signature(signature, delivery, is_letter, is_personal)
    return {
        "id": event_id(delivery.event, delivery.ref_id),
        "type": delivery.event,
        "created_date": resources.iso(delivery.occurred_at),
        "origin_system": resources.ORIGIN_SYSTEM,
        ("osdi:outreach" if is_letter else "osdi:signature"): shown,
    }


def _signature(
    signature: Signature | None, delivery: WebhookDelivery, is_letter: bool, is_personal: bool
) -> dict[str, Any]:
    """The signature in the API's shape, without what is personal unless it may be sent."""
    if signature is None:
        # Deleted on schedule (never confirmed): its ids and links are all there is.
        return {"identifiers": resources.identifiers(delivery.ref_id), "_links": _parent(delivery, is_letter)}
    shown = actions.signature(signature)
    if not is_personal:
        shown.pop("comments", None)
        shown.pop("message", None)
        return shown
    if signature.sealed is not None and signature.person_id is not None:
        shown["person"] = _person(signature)
    return shown


def carries_personal_data(document: dict[str, Any]) -> bool:
    """Whether a written event holds anything of a person's (what delivery audits)."""
    shown = document.get("osdi:signature") or document.get("osdi:outreach") or {}
    return any(key in shown for key in PERSONAL_KEYS)


def _as_added(signature: Signature | None, delivery: WebhookDelivery, is_letter: bool) -> dict[str, Any]:
    """A signature as it was added: its id, its links (itself, its campaign), pending, its dates.

    Nothing read from the person or their words, not even the link to the
    person: what the sign form was given is not known to be theirs yet.
    """
    if signature is None:
        return {"identifiers": resources.identifiers(delivery.ref_id), "_links": _parent(delivery, is_letter)}
    if is_letter:
        itself = absolute_url("api.outreach", campaign_id=delivery.campaign_id, outreach_id=signature.id)
    else:
        itself = absolute_url("api.signature", petition_id=delivery.campaign_id, signature_id=signature.id)
    added = resources.iso(signature.created_at)
    return {
        "identifiers": resources.identifiers(signature.id),
        "origin_system": resources.ORIGIN_SYSTEM,
        "created_date": added,
        "modified_date": added,
        "action_date": added,
        "status": str(SignatureStatus.PENDING),
        "_links": {"self": {"href": itself}, **_parent(delivery, is_letter)},
    }


def _parent(delivery: WebhookDelivery, is_letter: bool) -> dict[str, Any]:
    """The link to the petition or advocacy campaign of an event."""
    if is_letter:
        return resources.links(
            osdi_advocacy_campaign=absolute_url("api.advocacy_campaign", campaign_id=delivery.campaign_id)
        )
    return resources.links(osdi_petition=absolute_url("api.petition", petition_id=delivery.campaign_id))


def _person(signature: Signature) -> dict[str, Any]:
    """The signer as OSDI writes a person, from what this signature holds (sealed)."""
    personal = signature.personal
    address: dict[str, Any] = {"primary": True, "country": signature.country}
    if personal.postal_code:
        address["postal_code"] = personal.postal_code
    if signature.region:
        address["region"] = resources.region_part(signature.region)
    person: dict[str, Any] = {"identifiers": resources.identifiers(signature.person_id or 0)}
    person.update(
        {
            key: value
            for key, value in (("given_name", personal.given_name), ("family_name", personal.family_name))
            if value
        }
    )
    if personal.email:
        person["email_addresses"] = [{"address": personal.email, "primary": True}]
    person["postal_addresses"] = [address]
    person["_links"] = resources.links(self=absolute_url("api.person", person_id=signature.person_id))
    return person
