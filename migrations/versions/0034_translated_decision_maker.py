"""a campaign's decision maker is translated like its other words: the translations keep one

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-08 12:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade():
    # Empty for the translations already there: their pages keep the campaign's own words until translated.
    with op.batch_alter_table("campaign_translations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_maker", sa.String(length=200), server_default="", nullable=False))


def downgrade():
    with op.batch_alter_table("campaign_translations", schema=None) as batch_op:
        batch_op.drop_column("decision_maker")
