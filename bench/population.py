"""Campaigns and signatures created straight in the database, in bulk (INSERT ... SELECT generate_series)."""

from __future__ import annotations

import inspect
from typing import Any

import psycopg
from flask import Flask

COUNTRIES = "ARRAY['AM','FR','US','DE','GB','CA','AU','AR','LB','IR']"


def make_campaign(app: Flask, slug: str, title: str) -> int:
    """Create an open petition through the app's own model; return its id."""
    from campaign.campaigns.models import Campaign, CampaignKind, CampaignStatus
    from campaign.extensions import db

    with app.app_context():
        campaign = Campaign(
            slug=slug,
            kind=CampaignKind.PETITION,
            title=title,
            summary="A campaign created by the benchmark harness.",
            body_markdown="Please **sign**: this campaign exists for `make bench`.",
            goal=1_000_000,
            status=CampaignStatus.OPEN,
            language="en",
        )
        db.session.add(campaign)
        db.session.commit()
        return int(campaign.id)


def sealed_sample(app: Flask) -> bytes:
    """One signer's data sealed by the app's own vault, as the sign form seals it.

    Every bulk row carries these bytes: opening them costs what opening any
    row costs (one AES-GCM decryption of the same size), and a web process
    seals every row of five minutes under one data key anyway.
    """
    from campaign.privacy import vault
    from campaign.signing.models import SEALED_PURPOSE, Personal

    personal = Personal("anahit.petrosyan@example.org", "Anahit", "Petrosyan", "0010", "", "")
    with app.app_context():
        return vault.seal(personal.sealed_values(), purpose=SEALED_PURPOSE, organization_id=None)


def confirmation_tokens(app: Flask, signature_ids: list[int]) -> list[str]:
    """The tokens of the confirmation links of these signatures, minted by the app's own function."""
    from campaign.signing.tokens import confirmation_token

    with app.test_request_context():
        return [confirmation_token(signature_id) for signature_id in signature_ids]


def add_signatures(
    connection: psycopg.Connection[Any], campaign_id: int, tag: str, count: int, status: str, sealed: bytes
) -> list[int]:
    """Insert `count` people and one signature each on the campaign; return the signature ids in order."""
    validated_at = "now() AT TIME ZONE 'utc'" if status == "validated" else "NULL"
    rows = connection.execute(
        f"""
        WITH person AS (
            INSERT INTO people (email_index, created_at)
            SELECT md5('bench-' || %(tag)s || '-' || i) || md5(%(tag)s || i::text),
                   now() AT TIME ZONE 'utc'
            FROM generate_series(1, %(count)s) AS i
            RETURNING id
        )
        INSERT INTO signatures (campaign_id, person_id, status, sealed, masked_name, country,
            is_comment_public, has_email_opt_in, consent_version, client_hash, is_counted,
            created_at, validated_at)
        SELECT %(campaign)s, person.id, %(status)s, %(sealed)s, 'A. P.', ({COUNTRIES})[1 + person.id %% 10],
            false, false, 'bench', md5(person.id::text) || md5(person.id::text), false,
            now() AT TIME ZONE 'utc', {validated_at}
        FROM person
        RETURNING id
        """,
        {"tag": tag, "count": count, "campaign": campaign_id, "status": status, "sealed": sealed},
    ).fetchall()
    return sorted(int(row[0]) for row in rows)


def fold_all(app: Flask, batch: int = 50_000) -> int:
    """Fold every changed signature into the counters with the app's own fold; return how many."""
    from campaign.counts.fold import fold_signatures

    fold: Any = fold_signatures
    takes_batch = bool(inspect.signature(fold).parameters)
    total = 0
    with app.app_context():
        while True:
            folded = fold(batch) if takes_batch else fold()
            total += folded
            if not folded or (takes_batch and folded < batch):
                return total
