"""Migration 0011: tokens made before tokens expired get 90 days from their creation, on both databases."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from tests.support.migrations import migrated_app

MADE_AT = datetime(2026, 1, 31, 12, 30)


def test_existing_tokens_expire_90_days_after_they_were_made(app: Any, database_url: str) -> None:
    from flask_migrate import downgrade, upgrade

    from campaign.extensions import db

    with migrated_app(database_url):
        upgrade(revision="0010")
        db.session.execute(
            text(
                "INSERT INTO users (id, email, canonical_email, display_name, password_hash, role,"
                " is_active, session_version, created_at)"
                " VALUES (1, 'a@example.org', 'a@example.org', 'A', 'x', 'organizer', true, 1, :at)"
            ),
            {"at": MADE_AT},
        )
        db.session.execute(
            text(
                "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at)"
                " VALUES (1, 'old script', :hash, 'osdi_abcdefg', :at)"
            ),
            {"hash": "0" * 64, "at": MADE_AT},
        )
        db.session.commit()
        upgrade(revision="0011")
        expires_at = db.session.execute(text("SELECT expires_at FROM api_tokens")).scalar_one()
        db.session.commit()
        if isinstance(expires_at, str):  # SQLite hands back text
            expires_at = datetime.fromisoformat(expires_at)
        assert expires_at == MADE_AT + timedelta(days=90)
        downgrade(revision="0010")
