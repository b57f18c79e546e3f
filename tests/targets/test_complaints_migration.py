"""Migrations 0031 and 0032: an official's address marked bad before it is known to have refused mail;
after them, an address is paused for a complaint or a refusal, and its reason and time go together."""

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.support.migrations import migrated_app

AT = datetime(2026, 11, 2, 9, 15)
INSERT_OFFICIAL = (
    "INSERT INTO officials (id, name, title, body, country, email, is_email_bad, bad_since, created_at,"
    " updated_at) VALUES (:id, :name, 'MP', '', 'CA', :email, :bad, :since, :at, :at)"
)


def test_addresses_marked_bad_before_read_as_refused_and_only_known_reasons_are_stored(
    app: Any, database_url: str
) -> None:
    from flask_migrate import downgrade, upgrade

    from campaign.extensions import db

    with migrated_app(database_url):
        upgrade(revision="0030")
        for id_, bad in ((1, True), (2, False)):
            values = {"id": id_, "name": f"Official {id_}", "email": f"o{id_}@example.org", "at": AT}
            db.session.execute(text(INSERT_OFFICIAL), {**values, "bad": bad, "since": AT if bad else None})
        db.session.commit()

        upgrade(revision="0031")
        problems = db.session.execute(text("SELECT id, address_problem FROM officials ORDER BY id")).all()
        assert [tuple(row) for row in problems] == [(1, "refused"), (2, None)]
        db.session.execute(text("UPDATE officials SET address_problem = 'complaint' WHERE id = 2"))
        db.session.commit()
        with pytest.raises(IntegrityError):
            db.session.execute(text("UPDATE officials SET address_problem = 'annoyed' WHERE id = 2"))
        db.session.rollback()

        downgrade(revision="0030")
        bad = db.session.execute(text("SELECT id FROM officials WHERE is_email_bad ORDER BY id")).scalars()
        assert list(bad) == [1]
        db.session.commit()


def test_a_pause_is_its_reason_and_its_time_and_the_old_flag_comes_back_on_downgrade(
    app: Any, database_url: str
) -> None:
    from flask_migrate import downgrade, upgrade

    from campaign.extensions import db

    with migrated_app(database_url):
        upgrade(revision="0031")
        # Paused with no time kept, not paused with a stale time, and paused as it should be.
        for id_, bad, since in ((1, True, None), (2, False, AT), (3, True, AT)):
            values = {"id": id_, "name": f"Official {id_}", "email": f"o{id_}@example.org", "at": AT}
            db.session.execute(text(INSERT_OFFICIAL), {**values, "bad": bad, "since": since})
        db.session.execute(text("UPDATE officials SET address_problem = 'refused' WHERE is_email_bad"))
        db.session.execute(text("UPDATE officials SET address_problem = 'complaint' WHERE id = 3"))
        db.session.commit()

        upgrade(revision="0032")
        query = "SELECT id, address_problem, bad_since FROM officials ORDER BY id"
        rows = db.session.execute(text(query)).all()
        assert [(id_, problem, since is not None) for id_, problem, since in rows] == [
            (1, "refused", True),
            (2, None, False),
            (3, "complaint", True),
        ]
        with pytest.raises(IntegrityError):
            db.session.execute(text("UPDATE officials SET address_problem = 'refused' WHERE id = 2"))
        db.session.rollback()

        downgrade(revision="0031")
        bad = db.session.execute(text("SELECT id FROM officials WHERE is_email_bad ORDER BY id")).scalars()
        assert list(bad) == [1, 3]
        db.session.commit()
