"""outbox: the claim key of the batch a pump claimed a sending message in (the advisory lock that
tells a live sender from a dead one is taken once per batch, on this key)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 22:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.add_column(sa.Column('claim_key', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('claim_key')
