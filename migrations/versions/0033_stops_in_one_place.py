"""a stop of all email is kept once, by the address: the person's copy of it is gone

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-08 00:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

# What the owner of an address can stop (campaign.mail.suppressions).
_STOPS = "('stopped', 'complaint')"


def upgrade():
    # 0030 gave every stop its suppression, and each stop since was written to both; a person whose
    # copy somehow has none keeps their wish.
    op.execute(
        "INSERT INTO mail_suppressions (recipient_index, reason, created_at)"
        " SELECT people.email_index, 'stopped', people.email_stopped_at FROM people"
        " WHERE people.email_stopped_at IS NOT NULL AND NOT EXISTS ("
        "  SELECT 1 FROM mail_suppressions WHERE mail_suppressions.recipient_index = people.email_index"
        f"  AND mail_suppressions.reason IN {_STOPS})"
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("email_stopped_at")


def downgrade():
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_stopped_at", sa.DateTime(), nullable=True))
    op.execute(
        "UPDATE people SET email_stopped_at = ("
        " SELECT min(mail_suppressions.created_at) FROM mail_suppressions"
        f" WHERE mail_suppressions.recipient_index = people.email_index AND mail_suppressions.reason IN {_STOPS})"
    )
