"""Signatures and outreaches (the signatures of letter campaigns), OSDI's actions, as the API shows them,
and the partner consents a record helper's body carries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.sql.functions import coalesce

from campaign.api import filters
from campaign.api.campaigns import targets
from campaign.api.fields import SEALED, country_field, email_field, region_field
from campaign.api.resources import ORIGIN_SYSTEM, VENDOR, ApiError, identifiers, iso, links, one_or_404
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.links import absolute_url
from campaign.partners import consents
from campaign.partners.public import partners_of
from campaign.signing.models import Signature, SignatureStatus

# The record helpers' extension (OSDI's "<namespace>:<field>"): the ids of the partner organizations
# whose "(partner) may email me" box the person ticked, as the sign form's `partners` boxes.
PARTNER_CONSENTS = f"{VENDOR}:partner_consents"


def signature_modified() -> ColumnElement[datetime]:
    """When a signature last changed."""
    return coalesce(Signature.invalidated_at, Signature.validated_at, Signature.created_at)


SIGNATURE_FIELDS = {
    "created_date": filters.date_field(Signature.created_at),
    "action_date": filters.date_field(Signature.created_at),
    "modified_date": filters.date_field(signature_modified()),
    "email_address": email_field(Signature.person_id),
    "country": country_field(Signature.country),
    "region": region_field(Signature.region),
    "postal_code": SEALED,
}


def signatures_query(campaign: Campaign, statuses: frozenset[SignatureStatus]) -> Select[Any]:
    """A campaign's signatures of these statuses, oldest first."""
    return (
        select(Signature)
        .where(Signature.campaign_id == campaign.id, Signature.status.in_(sorted(statuses)))
        .order_by(Signature.id)
    )


def signature_or_404(
    campaign: Campaign, signature_id: int, statuses: frozenset[SignatureStatus]
) -> Signature:
    """One of the campaign's signatures, if it has one of these statuses; 404 for anything else."""
    found: Signature = one_or_404(signatures_query(campaign, statuses).where(Signature.id == signature_id))
    return found


def signature(row: Signature) -> dict[str, Any]:
    """A signature (or, on a letter campaign, an outreach) in OSDI's shape; unset fields left out."""
    is_letter = row.campaign.kind == CampaignKind.LETTER
    if is_letter:
        self_link = absolute_url("api.outreach", campaign_id=row.campaign_id, outreach_id=row.id)
        parent = {
            "osdi_advocacy_campaign": absolute_url("api.advocacy_campaign", campaign_id=row.campaign_id)
        }
    else:
        self_link = absolute_url("api.signature", petition_id=row.campaign_id, signature_id=row.id)
        parent = {"osdi_petition": absolute_url("api.petition", petition_id=row.campaign_id)}
    person = {"osdi_person": absolute_url("api.person", person_id=row.person_id)} if row.person_id else {}
    shown: dict[str, Any] = {
        "identifiers": identifiers(row.id),
        "origin_system": ORIGIN_SYSTEM,
        "created_date": iso(row.created_at),
        "modified_date": iso(row.invalidated_at or row.validated_at or row.created_at),
        "action_date": iso(row.created_at),
        "status": str(row.status),
        "_links": links(self=self_link, **person, **parent),
    }
    if row.source:
        shown["referrer_data"] = {"source": row.source}
    personal = row.personal
    if is_letter:
        shown.update({"type": "email", "subject": row.campaign.title, "targets": targets(row.campaign)})
        if personal.message:
            shown["message"] = personal.message
    elif personal.comment:
        shown["comments"] = personal.comment
    return shown


def partner_consents_of(campaign: Campaign, body: dict[str, Any]) -> tuple[int, ...]:
    """The partner ids a helper's body consents to, once each; a 400 naming any the campaign has not."""
    sent = body.get(PARTNER_CONSENTS)
    if sent is None:
        return ()
    if (
        not isinstance(sent, list)
        or len(sent) > consents.MAX_PARTNERS
        or not all(isinstance(value, int) and not isinstance(value, bool) for value in sent)
    ):
        raise ApiError(
            400,
            f"{PARTNER_CONSENTS} must be a list of at most {consents.MAX_PARTNERS} partner organization ids",
        )
    partners = {card.organization_id: card.name for card in partners_of(campaign)}
    unknown = [str(value) for value in sent if value not in partners]
    if unknown:
        known = ", ".join(f"{key} ({name})" for key, name in partners.items()) or "none"
        raise ApiError(
            400,
            f"{PARTNER_CONSENTS}: {', '.join(unknown)} "
            f"{'is not a partner' if len(unknown) == 1 else 'are not partners'} of this campaign "
            f"(its partners: {known}); nothing was recorded",
        )
    return tuple(dict.fromkeys(sent))
