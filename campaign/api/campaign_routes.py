"""The API's petitions and advocacy campaigns, and their signatures and outreaches.

Signatures and outreaches are read under the exports' rules (signer_reads.py): validated ones
unless ?status= asks for others, and every read is audited before it is answered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, request

from campaign.api import actions, campaigns, helpers
from campaign.api.blueprint import ID, bp, hal, token_user
from campaign.api.openapi import (
    PAGING,
    documented,
    id_parameter,
    ok,
    operation,
    record_helper,
    signers_page,
    signers_record,
)
from campaign.api.openapi_schemas import collection_schema
from campaign.api.resources import Paging, collection, page_of, statuses_from_args
from campaign.api.signer_reads import audited, audited_page, signers_campaign
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.extensions import db


def _campaign_page(kind: CampaignKind, shape: Callable[[Campaign], dict[str, Any]], name: str) -> Response:
    """A page of the token's campaigns of one kind, as the collection of this name."""
    paging = Paging.from_args(request.args)
    query = paging.apply(campaigns.campaigns_query(token_user(), kind), campaigns.CAMPAIGN_FIELDS)
    rows, total = page_of(query, paging)
    return hal(collection(name, [shape(row) for row in rows], total, paging, f"api.{name}"))


def _signature_page(kind: CampaignKind, name: str, parent: str, campaign_id: int) -> Response:
    """A page of a campaign's signatures or outreaches, of the statuses asked for; audited."""
    campaign = signers_campaign(campaign_id, kind)
    paging = Paging.from_args(request.args)
    statuses = statuses_from_args(request.args)
    return audited_page(
        actions.signatures_query(campaign, statuses),
        actions.SIGNATURE_FIELDS,
        actions.signature,
        paging=paging,
        statuses=statuses,
        name=name,
        endpoint=f"api.{name}",
        subject=f"campaign:{campaign.id}",
        values={parent: campaign_id},
    )


def _one_signature(campaign: Campaign, signature_id: int) -> Response:
    """One of a campaign's signatures or outreaches, of the statuses asked for; audited."""
    statuses = statuses_from_args(request.args)
    found = actions.signature_or_404(campaign, signature_id, statuses)
    return audited(actions.signature(found), f"campaign:{campaign.id}", [found.id], statuses=sorted(statuses))


def _record(campaign_id: int, kind: CampaignKind) -> Response:
    """Record a signature or an outreach through the form's path; the receipt tells nothing of the signer."""
    campaign = campaigns.campaign_or_404(token_user(), campaign_id, kind)
    body = helpers.json_body()
    # Checked first: a refused partner id records nothing at all.
    partner_ids = actions.partner_consents_of(campaign, body)
    helpers.record(campaign, body, message_key="message", comment_key="comments", partner_ids=partner_ids)
    db.session.commit()
    return hal(helpers.receipt(campaign), status=202)


@bp.get("/petitions")
@documented(get=operation("Petitions", ok(collection_schema("Petition")), *PAGING))
def petitions() -> Response:
    """A page of the token's petitions."""
    return _campaign_page(CampaignKind.PETITION, campaigns.petition, "petitions")


@bp.get(f"/petitions/<{ID}:petition_id>")
@documented(get=operation("A petition", ok("Petition"), id_parameter("petition_id")))
def petition(petition_id: int) -> Response:
    """One petition."""
    return hal(
        campaigns.petition(campaigns.campaign_or_404(token_user(), petition_id, CampaignKind.PETITION))
    )


@bp.get(f"/petitions/<{ID}:petition_id>/signatures")
@documented(
    get=signers_page(
        "A petition's signatures (confirmed ones unless status says otherwise)", "Signature", "petition_id"
    )
)
def signatures(petition_id: int) -> Response:
    """A page of a petition's signatures."""
    return _signature_page(CampaignKind.PETITION, "signatures", "petition_id", petition_id)


@bp.get(f"/petitions/<{ID}:petition_id>/signatures/<{ID}:signature_id>")
@documented(get=signers_record("A signature", "Signature", "petition_id", "signature_id"))
def signature(petition_id: int, signature_id: int) -> Response:
    """One signature (a confirmed one unless status says otherwise)."""
    return _one_signature(signers_campaign(petition_id, CampaignKind.PETITION), signature_id)


@bp.post(f"/petitions/<{ID}:petition_id>/signatures")
@documented(
    post=record_helper(
        "Record signature helper: a person and their signature, confirmed by email",
        "petition_id",
        "SignatureHelper",
        "Received: the same answer whether the person had signed or not",
    )
)
def record_signature(petition_id: int) -> Response:
    """Record a signature through the same path as the form; the answer tells nothing about the signer."""
    return _record(petition_id, CampaignKind.PETITION)


@bp.get("/advocacy_campaigns")
@documented(
    get=operation(
        "Advocacy campaigns (letters to officials)", ok(collection_schema("AdvocacyCampaign")), *PAGING
    )
)
def advocacy_campaigns() -> Response:
    """A page of the token's letter campaigns."""
    return _campaign_page(CampaignKind.LETTER, campaigns.advocacy_campaign, "advocacy_campaigns")


@bp.get(f"/advocacy_campaigns/<{ID}:campaign_id>")
@documented(get=operation("An advocacy campaign", ok("AdvocacyCampaign"), id_parameter("campaign_id")))
def advocacy_campaign(campaign_id: int) -> Response:
    """One letter campaign."""
    found = campaigns.campaign_or_404(token_user(), campaign_id, CampaignKind.LETTER)
    return hal(campaigns.advocacy_campaign(found))


@bp.get(f"/advocacy_campaigns/<{ID}:campaign_id>/outreaches")
@documented(
    get=signers_page(
        "An advocacy campaign's outreaches (confirmed ones unless status says otherwise)",
        "Outreach",
        "campaign_id",
    )
)
def outreaches(campaign_id: int) -> Response:
    """A page of a letter campaign's outreaches."""
    return _signature_page(CampaignKind.LETTER, "outreaches", "campaign_id", campaign_id)


@bp.get(f"/advocacy_campaigns/<{ID}:campaign_id>/outreaches/<{ID}:outreach_id>")
@documented(get=signers_record("An outreach", "Outreach", "campaign_id", "outreach_id"))
def outreach(campaign_id: int, outreach_id: int) -> Response:
    """One outreach (a confirmed one unless status says otherwise)."""
    return _one_signature(signers_campaign(campaign_id, CampaignKind.LETTER), outreach_id)


@bp.post(f"/advocacy_campaigns/<{ID}:campaign_id>/outreaches")
@documented(
    post=record_helper(
        "Record outreach helper: a person and their letter, sent once they confirm by email",
        "campaign_id",
        "OutreachHelper",
        "Received: the same answer whether the person had written or not",
    )
)
def record_outreach(campaign_id: int) -> Response:
    """Record an outreach through the same path as the form; the answer tells nothing about the writer."""
    return _record(campaign_id, CampaignKind.LETTER)
