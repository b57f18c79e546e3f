"""Signers made straight in the database, sealed as the sign form seals them (the tests hold the key)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from campaign import clock
from campaign.privacy import vault
from campaign.signing.models import SEALED_PURPOSE, Person, Personal, Signature, SignatureStatus
from campaign.signing.service import email_index, masked_name, message_hash


def sealed_personal(organization_id: int | None = None, **fields: str) -> bytes:
    """The sealed form of a signer's own data."""
    personal = Personal(**fields)
    return vault.seal(personal.sealed_values(), purpose=SEALED_PURPOSE, organization_id=organization_id)


def person_id_for(db: Any, email: str) -> int:
    """The id of the person with this address, made if there is none."""
    index = email_index(email)
    found = db.session.execute(select(Person.id).where(Person.email_index == index)).scalar()
    if found is not None:
        return int(found)
    person = Person(email_index=index)
    db.session.add(person)
    db.session.flush()
    return int(person.id)


def add_signature(db: Any, campaign_id: int, email: str, **values: Any) -> Signature:
    """One signature (validated unless told otherwise), with names, postal code and words sealed."""
    fields = {
        "email": email,
        "given_name": values.pop("given_name", "Anahit"),
        "family_name": values.pop("family_name", "Petrosyan"),
        "postal_code": values.pop("postal_code", ""),
        "comment": values.pop("comment", None) or "",
        "message": values.pop("message", None) or "",
    }
    signature = Signature(
        campaign_id=campaign_id,
        person_id=person_id_for(db, email),
        status=values.pop("status", SignatureStatus.VALIDATED),
        sealed=sealed_personal(**fields),
        masked_name=masked_name(fields["given_name"], fields["family_name"]),
        message_hash=message_hash(fields["message"]),
        country=values.pop("country", "CA"),
        region=values.pop("region", "CA-ON"),
        consent_version=values.pop("consent_version", "test"),
        client_hash=values.pop("client_hash", "x"),
        **values,
    )
    db.session.add(signature)
    db.session.commit()
    return signature


def add_signatures_in_bulk(
    db: Any, campaign_id: int, rows: list[dict[str, Any]], status: SignatureStatus = SignatureStatus.VALIDATED
) -> list[int]:
    """Many signatures at once: each row gives email, country and any sealed field; returns their ids."""
    people = (
        db.session.execute(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [{"email_index": email_index(row["email"])} for row in rows],
        )
        .scalars()
        .all()
    )
    ids = (
        db.session.execute(
            insert(Signature).returning(Signature.id, sort_by_parameter_order=True),
            [
                {
                    "campaign_id": campaign_id,
                    "person_id": person_id,
                    "status": row.get("status", status),
                    "sealed": sealed_personal(
                        email=row["email"],
                        given_name=row.get("given_name", "A"),
                        family_name=row.get("family_name", "B"),
                        postal_code=row.get("postal_code", ""),
                        comment=row.get("comment", ""),
                        message=row.get("message", ""),
                    ),
                    "masked_name": "A. B.",
                    "country": row.get("country", "AM"),
                    "region": row.get("region"),
                    "consent_version": "t",
                    "client_hash": "h",
                    **{key: row[key] for key in ("has_email_opt_in", "source", "created_at") if key in row},
                }
                for row, person_id in zip(rows, people, strict=True)
            ],
        )
        .scalars()
        .all()
    )
    db.session.commit()
    return list(ids)


def add_signer(
    db: Any,
    campaign: Any,
    email: str,
    *,
    opt_in: bool = True,
    status: SignatureStatus = SignatureStatus.VALIDATED,
    country: str = "AM",
    source: str | None = None,
    given_name: str = "Ani",
) -> int:
    """One person and their signature on the campaign (names sealed); returns the person's id."""
    signature = add_signature(
        db,
        campaign.id,
        email,
        given_name=given_name,
        family_name="Doe",
        country=country,
        region=None,
        consent_version="t",
        client_hash="h",
        status=status,
        has_email_opt_in=opt_in,
        source=source,
        validated_at=clock.now() if status != SignatureStatus.PENDING else None,
    )
    return int(signature.person_id)
