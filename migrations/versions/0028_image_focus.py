"""a campaign image's focal point: what the page's banner and the share image keep in view

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 04:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    # Every image uploaded so far was shown whole or centred: the middle stays in view.
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("image_focus", sa.String(length=16), server_default="center", nullable=False)
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_campaigns_image_focus"), "image_focus IN ('top', 'center', 'bottom')"
        )


def downgrade():
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_campaigns_image_focus"), type_="check")
        batch_op.drop_column("image_focus")
