"""organization logos and campaign trust details: an organization's logo, a campaign's decision maker
and its image's alt text

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 22:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('logo_name', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('logo_width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('logo_height', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_organizations_logo_name'), ['logo_name'])

    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_alt', sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column('decision_maker', sa.String(length=200), server_default='', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('decision_maker')
        batch_op.drop_column('image_alt')

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organizations_logo_name'), type_='unique')
        batch_op.drop_column('logo_height')
        batch_op.drop_column('logo_width')
        batch_op.drop_column('logo_name')
