"""Migration 0030: those who pressed "Stop all email" before it stopped everything are stopped for
everything, by their address's keyed hash; a new stop is refused before it and allowed after.
Migration 0033: the person's copy of the stop is gone, and no stop is lost with it."""

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


def moment(value: datetime | str | None) -> datetime | None:
    """A time as the database gave it back to raw SQL (SQLite: as text)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def test_a_stop_kept_only_on_the_person_is_kept_by_the_address_and_comes_back_on_downgrade(
    app: Any, database_url: str
) -> None:
    from flask_migrate import downgrade, upgrade

    from campaign.extensions import db

    with migrated_app(database_url):
        upgrade(revision="0032")
        later = datetime(2026, 11, 20, 8, 0)
        # Stopped on the person only; stopped on both, by a complaint; stopped on neither.
        for id_, stopped in ((1, STOPPED_AT), (2, later), (3, None)):
            values = {"id": id_, "index": str(id_) * 64, "at": STOPPED_AT, "stopped": stopped}
            db.session.execute(text(INSERT_PERSON), values)
        db.session.execute(
            text(INSERT_STOP.replace("'stopped'", "'complaint'")), {"index": "2" * 64, "at": later}
        )
        db.session.commit()

        upgrade(revision="0033")
        stops = db.session.execute(
            text("SELECT recipient_index, reason, created_at FROM mail_suppressions ORDER BY recipient_index")
        ).all()
        assert [(index, reason, moment(at)) for index, reason, at in stops] == [
            ("1" * 64, "stopped", STOPPED_AT),
            ("2" * 64, "complaint", later),
        ]
        columns = db.session.execute(text("SELECT * FROM people")).keys()
        assert "email_stopped_at" not in columns
        db.session.commit()

        downgrade(revision="0032")
        restored = db.session.execute(text("SELECT id, email_stopped_at FROM people ORDER BY id")).all()
        assert [(id_, moment(at)) for id_, at in restored] == [(1, STOPPED_AT), (2, later), (3, None)]
        db.session.commit()
