"""Storing a sign request: the person (found or new) and their pending signature, or the earlier one.

On PostgreSQL it is one statement, one round trip; on SQLite (no INSERT
inside WITH), and for a person another request stored meanwhile, the same
work in steps. The unique constraints decide either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, LargeBinary, bindparam, literal_column, select, text

from campaign.campaigns.models import Campaign, takes_signatures_sql
from campaign.database import insert
from campaign.extensions import db
from campaign.mail import service as mail
from campaign.signing.models import Person, Signature, SignatureStatus
from campaign.webhooks import events as webhooks

# The columns a sign request writes besides person, status, counting and time, spelled once:
# the one-statement sign and the single insert below are both made from them, and
# `_signature_values` (campaign/signing/service.py) gives every one of them its value.
_SIGNATURE_COLUMNS = (
    "campaign_id",
    "sealed",
    "masked_name",
    "message_hash",
    "country",
    "region",
    "is_comment_public",
    "has_email_opt_in",
    "consent_version",
    "source",
    "client_hash",
    "client_range_hash",
    "email_domain_index",
    "client_range_sealed",
    "flood_rule",
    "language",
)
_INSERT_COLUMNS = "person_id, status, is_counted, created_at, " + ", ".join(_SIGNATURE_COLUMNS)
_INSERT_VALUES = "'pending', false, :now, " + ", ".join(f":{name}" for name in _SIGNATURE_COLUMNS)
# Typed, so that SQLite stores them as the ORM does (PostgreSQL would take them as they are).
_TYPED = (bindparam("now", type_=DateTime()), bindparam("sealed", type_=LargeBinary()))
# "The campaign takes signatures at :now", the same expression as every query of open campaigns.
_OPEN = str(takes_signatures_sql(literal_column(":now")).compile(compile_kwargs={"literal_binds": True}))
# "An endpoint of the campaign's organization wants signature.added" (campaign/webhooks/events.py).
_ORGANIZATION = select(Campaign.organization_id).where(Campaign.id == literal_column(":campaign_id"))
_WATCHED = str(
    webhooks.is_wanted(webhooks.SIGNATURE_ADDED, _ORGANIZATION.scalar_subquery()).compile(
        compile_kwargs={"literal_binds": True}
    )
)

# PostgreSQL does the sign request's work in one round trip: take the lock that
# bounds the mail to the address (campaign/mail/service.py; before anything is
# inserted, so that every sign takes its locks in the same order), check that
# the campaign is open, find or create the person, insert the signature, read
# the person's earlier signature if there was one (as it was when the statement
# began), and tell whether a webhook wants to hear of it. The unique constraints
# still decide; a row another request is inserting at the same moment makes ON
# CONFLICT wait for it.
_SIGN = text(f"""
WITH recipient_lock AS MATERIALIZED (
    {mail.RECIPIENT_LOCK}
), open_campaign AS (
    SELECT campaigns.id FROM campaigns, recipient_lock WHERE campaigns.id = :campaign_id AND {_OPEN}
), new_person AS (
    INSERT INTO people (email_index, created_at)
    SELECT :email_index, :now FROM open_campaign
    ON CONFLICT (email_index) DO NOTHING
    RETURNING id
), person AS (
    SELECT id FROM new_person
    UNION ALL
    SELECT people.id FROM people, open_campaign WHERE people.email_index = :email_index
    LIMIT 1
), earlier AS (
    SELECT signatures.id, signatures.status FROM signatures
    WHERE signatures.campaign_id = :campaign_id AND signatures.person_id = (SELECT id FROM person)
), new_signature AS (
    INSERT INTO signatures ({_INSERT_COLUMNS})
    SELECT person.id, {_INSERT_VALUES} FROM person
    ON CONFLICT (campaign_id, person_id) DO NOTHING
    RETURNING id
)
SELECT (SELECT count(*) FROM open_campaign) AS is_open,
       (SELECT id FROM person) AS person_id,
       (SELECT id FROM new_signature) AS signature_id,
       (SELECT id FROM earlier) AS earlier_id,
       (SELECT status FROM earlier) AS earlier_status,
       {_WATCHED} AS is_watched
""").bindparams(*_TYPED)  # noqa: S608 - made of this module's constants, no input
# The same insert alone, for SQLite (no INSERT inside WITH) and for a person created meanwhile.
_INSERT_SIGNATURE = text(f"""
INSERT INTO signatures ({_INSERT_COLUMNS})
VALUES (:person_id, {_INSERT_VALUES})
ON CONFLICT (campaign_id, person_id) DO NOTHING
RETURNING id
""").bindparams(*_TYPED)  # noqa: S608 - made of this module's constants, no input


@dataclass(frozen=True)
class Stored:
    """What the insert came to: the person, and the new signature or the earlier one with its status."""

    person_id: int
    signature_id: int
    is_new: bool
    earlier_status: SignatureStatus | None = None
    # This transaction holds the lock that bounds the mail to the address (mail.RECIPIENT_LOCK).
    holds_mail_lock: bool = False
    # False only when no webhook endpoint wants signature.added: emitting it would write nothing.
    is_watched: bool = True


def store_signature(values: dict[str, Any]) -> Stored | None:
    """Insert the person (if new) and the pending signature, or find the earlier one; None if the
    campaign is not open.

    `values`: the columns (`_SIGNATURE_COLUMNS`), `now`, `email_index`, and
    mail.recipient_lock_values of the address.
    """
    is_postgresql = db.session.get_bind().dialect.name == "postgresql"
    if is_postgresql:
        row = db.session.execute(_SIGN, values).one()
        if not row.is_open:
            return None
        if row.signature_id is not None:
            return Stored(int(row.person_id), int(row.signature_id), True, None, True, bool(row.is_watched))
        if row.earlier_id is not None:
            status = SignatureStatus(row.earlier_status)
            return Stored(int(row.person_id), int(row.earlier_id), False, status, True, bool(row.is_watched))
        # The person or their signature was stored by a request that committed
        # after this statement began, so it could not see them: new statements can.
    elif not _is_open(values["campaign_id"], values["now"]):
        return None
    person_id = _person_id(values["email_index"], values["now"])
    inserted = db.session.execute(_INSERT_SIGNATURE, {**values, "person_id": person_id}).scalar()
    if inserted is not None:
        return Stored(person_id, int(inserted), True, None, is_postgresql)
    earlier = db.session.execute(
        select(Signature.id, Signature.status).where(
            Signature.campaign_id == values["campaign_id"], Signature.person_id == person_id
        )
    ).one()
    return Stored(person_id, int(earlier.id), False, earlier.status, is_postgresql)


def _is_open(campaign_id: int, now: datetime) -> bool:
    """Read afresh whether the campaign takes signatures now."""
    found = select(Campaign.id).where(Campaign.id == campaign_id, takes_signatures_sql(now))
    return db.session.execute(found).first() is not None


def _person_id(index: str, now: datetime) -> int:
    """Find or create the person with this address's index, safely under concurrent requests."""
    inserted = db.session.execute(
        insert(Person)
        .values(email_index=index, created_at=now)
        .on_conflict_do_nothing(index_elements=["email_index"])
        .returning(Person.id)
    ).scalar()
    if inserted is not None:
        return int(inserted)
    return db.session.execute(select(Person.id).where(Person.email_index == index)).scalar_one()
