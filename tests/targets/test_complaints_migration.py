"""Migration 0031: an official's address marked bad before it is known to have refused mail; after it,
an address can be paused for a complaint too, and for no other reason."""

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

AT = datetime(2026, 11, 2, 9, 15)
INSERT_OFFICIAL = (
    "INSERT INTO officials (id, name, title, body, country, email, is_email_bad, bad_since, created_at,"
    " updated_at) VALUES (:id, :name, 'MP', '', 'CA', :email, :bad, :since, :at, :at)"
)


def test_addresses_marked_bad_before_read_as_refused_and_only_known_reasons_are_stored(
    app: Any, database_url: str
) -> None:
    from flask_migrate import downgrade, upgrade

    from campaign import create_app
    from campaign.config import database_uri
    from campaign.extensions import db

    migrated = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_uri(database_url)})
    with migrated.app_context():
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
        db.session.remove()
        db.engine.dispose()
