"""Migration 0030: those who pressed "Stop all email" before it stopped everything are stopped for
everything, by their address's keyed hash; a new stop is refused before it and allowed after."""

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.support.migrations import migrated_app

STOPPED_AT = datetime(2026, 11, 2, 9, 15)
INSERT_PERSON = (
    "INSERT INTO people (id, email_index, created_at, email_stopped_at) VALUES (:id, :index, :at, :stopped)"
)
INSERT_STOP = (
    "INSERT INTO mail_suppressions (recipient_index, reason, created_at) VALUES (:index, 'stopped', :at)"
)


def test_an_earlier_stop_becomes_a_stop_of_all_email_to_the_address(app: Any, database_url: str) -> None:
    from flask_migrate import downgrade, upgrade

    from campaign.extensions import db

    with migrated_app(database_url):
        upgrade(revision="0029")
        db.session.execute(
            text(INSERT_PERSON), {"id": 1, "index": "a" * 64, "at": STOPPED_AT, "stopped": STOPPED_AT}
        )
        db.session.execute(
            text(INSERT_PERSON), {"id": 2, "index": "b" * 64, "at": STOPPED_AT, "stopped": None}
        )
        db.session.commit()
        with pytest.raises(IntegrityError):  # the reason did not exist yet
            db.session.execute(text(INSERT_STOP), {"index": "c" * 64, "at": STOPPED_AT})
        db.session.rollback()

        upgrade(revision="0030")
        stops = db.session.execute(text("SELECT recipient_index, reason FROM mail_suppressions")).all()
        assert [tuple(row) for row in stops] == [("a" * 64, "stopped")]
        db.session.execute(text(INSERT_STOP), {"index": "c" * 64, "at": STOPPED_AT})
        db.session.commit()

        downgrade(revision="0029")
        assert db.session.execute(text("SELECT count(*) FROM mail_suppressions")).scalar_one() == 0
        db.session.commit()
