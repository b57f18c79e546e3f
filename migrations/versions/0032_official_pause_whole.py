"""an official's address is paused when it has a reason: the flag that said so too is gone

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 21:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    # 0031 gave every flagged address its reason; a reason and its time now go together.
    op.execute("UPDATE officials SET address_problem = 'refused' WHERE is_email_bad AND address_problem IS NULL")
    op.execute("UPDATE officials SET bad_since = updated_at WHERE address_problem IS NOT NULL AND bad_since IS NULL")
    op.execute("UPDATE officials SET bad_since = NULL WHERE address_problem IS NULL")
    with op.batch_alter_table("officials", schema=None) as batch_op:
        batch_op.drop_column("is_email_bad")
        batch_op.create_check_constraint("pause_whole", "(address_problem IS NULL) = (bad_since IS NULL)")


def downgrade():
    with op.batch_alter_table("officials", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_officials_pause_whole"), type_="check")
        batch_op.add_column(sa.Column("is_email_bad", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE officials SET is_email_bad = (address_problem IS NOT NULL)")
