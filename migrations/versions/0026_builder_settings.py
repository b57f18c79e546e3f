"""the builder's delivery and letter settings: signers may edit the whole letter

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 02:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    # The daily digest and its hour need no column: a digest leaves in its window's first hour
    # (letter_campaigns.delivery and window_start_hour, which the builder now sets).
    with op.batch_alter_table("letter_campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("signers_may_edit_letter", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("letter_campaigns", schema=None) as batch_op:
        batch_op.drop_column("signers_may_edit_letter")
