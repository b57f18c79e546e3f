"""one sending schedule per official, shared by every campaign

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 02:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('official_schedules',
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('next_slot_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_official_schedules_official_id_officials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('official_id', name=op.f('pk_official_schedules'))
    )
    # Each official keeps the latest slot any campaign had taken for them.
    op.execute(
        "INSERT INTO official_schedules (official_id, next_slot_at) "
        "SELECT official_id, max(next_slot_at) FROM letter_schedules GROUP BY official_id"
    )
    op.drop_table('letter_schedules')


def downgrade():
    op.create_table('letter_schedules',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('next_slot_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_letter_schedules_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_letter_schedules_official_id_officials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'official_id', name=op.f('pk_letter_schedules'))
    )
    op.drop_table('official_schedules')
