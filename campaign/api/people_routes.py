"""The API's people, and each person's signatures and outreaches.

People are read under the exports' rules (signer_reads.py): only through signatures on campaigns
whose signers the token's user may read, and every read is audited before it is answered.
"""

from __future__ import annotations

from flask import Response, request

from campaign.api import actions, helpers, persons
from campaign.api.blueprint import ID, bp
from campaign.api.openapi import (
    PAGING_PEOPLE,
    STATUS,
    documented,
    operation,
    signers,
    signers_page,
    signers_record,
)
from campaign.api.openapi_schemas import collection_schema, ref
from campaign.api.resources import Paging, statuses_from_args
from campaign.api.scope import signer_scope
from campaign.api.signer_reads import audited, audited_page, signers_reader
from campaign.campaigns.models import CampaignKind
from campaign.extensions import db
from campaign.signing.models import Person, SignatureStatus
from campaign.signing.service import email_index


@bp.get("/people")
@documented(
    get=operation(
        "People with a confirmed signature (or one of the status asked for) on a campaign "
        "whose signers the token may read",
        signers(collection_schema("Person")),
        *PAGING_PEOPLE,
        STATUS,
    )
)
def people() -> Response:
    """A page of the people who signed the campaigns whose signers the token's user may read."""
    user = signers_reader()
    paging = Paging.from_args(request.args)
    statuses = statuses_from_args(request.args)
    return audited_page(
        persons.people_query(user, statuses),
        persons.people_fields(user),
        lambda found: persons.person(found, user),
        paging=paging,
        statuses=statuses,
        name="people",
        endpoint="api.people",
        subject="people",
        scope=signer_scope(user),
    )


@bp.get(f"/people/<{ID}:person_id>")
@documented(get=signers_record("A person", "Person", "person_id"))
def person(person_id: int) -> Response:
    """One person, if they signed a campaign whose signers the token's user may read."""
    user = signers_reader()
    statuses = statuses_from_args(request.args)
    found = persons.person_or_404(user, person_id, statuses)
    return audited(
        persons.person(found, user),
        f"person:{found.id}",
        [found.id],
        scope=signer_scope(user),
        statuses=sorted(statuses),
    )


@bp.post("/people")
@documented(
    post=operation(
        "Person signup helper: find a person who signed one of your campaigns by email address",
        signers({"anyOf": [ref("Person"), ref("PersonUnmatched")]}),
        description="Stores nothing: people join only through a signature they confirm by email. "
        "An address that signed one of the token's readable campaigns answers that person; any other "
        "address answers the address alone, without identifiers, whether or not it signed someone else's.",
        body="PersonSignup",
    )
)
def person_signup() -> Response:
    """Match a person by email address within the signers the token's user may read; audited."""
    user = signers_reader()
    address = helpers.signup_address(helpers.json_body())
    found = db.session.execute(
        persons.people_query(user, frozenset(SignatureStatus)).where(
            Person.email_index == email_index(address)
        )
    ).scalar_one_or_none()
    scope = signer_scope(user)
    if found is None:
        return audited(helpers.unmatched_person(address), "people", [], scope=scope, matched=False)
    return audited(persons.person(found, user), f"person:{found.id}", [found.id], scope=scope, matched=True)


def _person_actions(person_id: int, kind: CampaignKind, name: str, endpoint: str) -> Response:
    """A page of a person's signatures or outreaches on campaigns whose signers the user may read."""
    user = signers_reader()
    statuses = statuses_from_args(request.args)
    found = persons.person_or_404(user, person_id, frozenset(SignatureStatus))
    paging = Paging.from_args(request.args)
    return audited_page(
        persons.person_signatures_query(user, found.id, kind, statuses),
        actions.SIGNATURE_FIELDS,
        actions.signature,
        paging=paging,
        statuses=statuses,
        name=name,
        endpoint=endpoint,
        subject=f"person:{found.id}",
        values={"person_id": person_id},
        scope=signer_scope(user),
    )


@bp.get(f"/people/<{ID}:person_id>/signatures")
@documented(
    get=signers_page(
        "A person's signatures on petitions whose signers the token may read", "Signature", "person_id"
    )
)
def person_signatures(person_id: int) -> Response:
    """A page of a person's signatures."""
    return _person_actions(person_id, CampaignKind.PETITION, "signatures", "api.person_signatures")


@bp.get(f"/people/<{ID}:person_id>/outreaches")
@documented(
    get=signers_page(
        "A person's outreaches on advocacy campaigns whose signers the token may read",
        "Outreach",
        "person_id",
    )
)
def person_outreaches(person_id: int) -> Response:
    """A page of a person's outreaches."""
    return _person_actions(person_id, CampaignKind.LETTER, "outreaches", "api.person_outreaches")
