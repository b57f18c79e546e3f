"""The migrations build the schema the models describe, on both databases: a column added to a model
without its migration would work in no installation that upgrades (`flask db check`)."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.support.migrations import migrated_app


def test_the_migrations_build_what_the_models_describe(app: Any, database_url: str) -> None:
    from flask_migrate import downgrade, upgrade

    from campaign.extensions import db

    with migrated_app(database_url):
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert differences == []
        # And every revision can be undone, down to the sealing of personal data (0012), which a
        # migration cannot undo: a backup is restored instead.
        downgrade(revision="0012")
        with db.engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == "0012"
