"""Reads of signers (people, signatures, outreaches) under the exports' rules: who may read them,
and the audit record written before a byte of personal data is answered."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, request
from sqlalchemy import Select

from campaign.accounts.models import User
from campaign.api import filters
from campaign.api.blueprint import hal, request_token, token_user
from campaign.api.campaigns import campaign_or_404
from campaign.api.resources import ApiError, Paging, collection, page_of
from campaign.api.scope import may_read_signers
from campaign.audit.service import record
from campaign.campaigns.models import Campaign, CampaignKind
from campaign.extensions import db
from campaign.signing.models import SignatureStatus

NOT_ALLOWED = (
    "reading signers needs staff access, or an organization that allows its members to export "
    "its signers; ask an owner of the organization to allow member exports"
)


def signers_reader() -> User:
    """The token's user, if they may read the signers of some campaign; 403 if not."""
    user = token_user()
    if not may_read_signers(user):
        raise ApiError(403, NOT_ALLOWED)
    return user


def signers_campaign(campaign_id: int, kind: CampaignKind) -> Campaign:
    """A campaign in the token's scope whose signers its user may read: 404 outside, 403 if not allowed."""
    campaign = campaign_or_404(token_user(), campaign_id, kind)
    if not may_read_signers(token_user(), campaign):
        raise ApiError(403, NOT_ALLOWED)
    return campaign


def status_arg() -> dict[str, str]:
    """The status asked for, to keep in the paging links."""
    return {"status": request.args["status"]} if "status" in request.args else {}


def audited(body: Any, subject: str, ids: list[int], **details: Any) -> Response:
    """Record who read which signers through which endpoint, commit, then answer."""
    record(
        f"user:{token_user().id}",
        "api.signers_read",
        subject,
        endpoint=request.endpoint,
        token_id=request_token().id,
        rows=len(ids),
        ids=ids,
        **details,
    )
    db.session.commit()  # the record is written before a byte of personal data leaves
    return hal(body)


def audited_page(
    query: Select[Any],
    fields: Mapping[str, filters.Field],
    shape: Callable[[Any], dict[str, Any]],
    *,
    paging: Paging,
    statuses: frozenset[SignatureStatus],
    name: str,
    endpoint: str,
    subject: str,
    values: Mapping[str, int] | None = None,
    **details: Any,
) -> Response:
    """A page of signers' records, filtered as asked, each in its shape; audited with these details."""
    rows, total = page_of(paging.apply(query, fields), paging)
    items = [shape(row) for row in rows]
    body = collection(name, items, total, paging, endpoint, **(values or {}), **status_arg())
    return audited(
        body, subject, [row.id for row in rows], **details, statuses=sorted(statuses), page=paging.page
    )
