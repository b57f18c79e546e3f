"""API tokens expire; tokens made before get 90 days from their creation

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 03:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
    # The default life of a token (API_TOKEN_DAYS), counted from when each was made.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE api_tokens SET expires_at = created_at + interval '90 days'")
    else:
        op.execute("UPDATE api_tokens SET expires_at = datetime(created_at, '+90 days')")
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
