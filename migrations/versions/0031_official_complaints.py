"""an official's address can be paused for a complaint as well as for a refusal: why is kept

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 18:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    problem = sa.Enum(
        "refused", "complaint", name="address_problem", native_enum=False, create_constraint=True, length=16
    )
    with op.batch_alter_table("officials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address_problem", problem, nullable=True))
    # Until now an address was marked bad only when it refused mail.
    op.execute("UPDATE officials SET address_problem = 'refused' WHERE is_email_bad")


def downgrade():
    # Paused for a complaint is still paused: it reads as a refusal, as before this revision.
    with op.batch_alter_table("officials", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_officials_address_problem"), type_="check")
        batch_op.drop_column("address_problem")
