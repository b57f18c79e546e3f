"""Migration 0012: what earlier versions kept in clear is sealed in place, on both databases."""

from datetime import datetime
from typing import Any

from sqlalchemy import select, text

from tests.support.migrations import migrated_app

AT = datetime(2026, 11, 30, 9, 0)


def test_clear_rows_are_sealed_and_still_read_the_same(app: Any, database_url: str, tmp_path: Any) -> None:
    from flask_migrate import upgrade

    from campaign.extensions import db
    from campaign.mail import composing as mail
    from campaign.mail.models import OutboxMessage
    from campaign.privacy import keys, vault
    from campaign.signing.models import Person, Signature
    from campaign.signing.service import email_index

    keys.forget()
    vault.forget()
    try:
        with migrated_app(database_url, KEYS_PATH=str(tmp_path / "k")):
            upgrade(revision="0011")
            for statement in (
                "INSERT INTO campaigns (id, slug, kind, title, summary, body_markdown, goal, status,"
                " language, created_at, updated_at)"
                " VALUES (1, 'c', 'letter', 'T', 'S', 'B', 10, 'open', 'en', :at, :at)",
                "INSERT INTO people (id, email, canonical_email, created_at)"
                " VALUES (1, 'Ani.P+x@Gmail.com', 'anip@gmail.com', :at)",
                "INSERT INTO signatures (id, campaign_id, person_id, status, given_name, family_name,"
                " country, postal_code, comment, is_comment_public, message, has_email_opt_in,"
                " consent_version, client_hash, is_counted, created_at)"
                " VALUES (1, 1, 1, 'validated', 'Ani', 'Petrosyan', 'AM', '0010', 'For Shushi', false,"
                " 'My own words', true, '2026-11', 'h', true, :at)",
                "INSERT INTO outbox (kind, dedupe_key, recipient, subject, body, status, attempts,"
                " next_attempt_at, message_id, created_at) VALUES ('notice', 'n1', 'Ani <ani@example.org>',"
                " 'Hello', 'Owed words', 'pending', 0, :at, '<m1@example.org>', :at)",
            ):
                db.session.execute(text(statement), {"at": AT})
            db.session.commit()

            upgrade()

            signature = db.session.get_one(Signature, 1)
            personal = signature.personal
            assert (personal.email, personal.given_name, personal.family_name) == (
                "Ani.P+x@Gmail.com",
                "Ani",
                "Petrosyan",
            )
            assert (personal.postal_code, personal.comment, personal.message) == (
                "0010",
                "For Shushi",
                "My own words",
            )
            assert signature.masked_name == "A. P." and signature.message_hash
            assert db.session.get_one(Person, 1).email_index == email_index("anip@gmail.com")
            owed = mail.composed(db.session.execute(select(OutboxMessage)).scalar_one())
            assert owed is not None and (owed.recipient, owed.body) == ("Ani <ani@example.org>", "Owed words")
            columns = " ".join(
                str(value)
                for table in ("people", "signatures", "outbox")
                for row in db.session.execute(text(f"SELECT * FROM {table}")).all()
                for value in row
            )
            for secret in ("Ani.P", "anip@gmail", "Petrosyan", "For Shushi", "My own words", "Owed words"):
                assert secret not in columns
    finally:
        keys.forget()
        vault.forget()
