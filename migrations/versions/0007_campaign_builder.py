"""campaign builder, moderation and lifecycle

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

OLD_STATUSES = ('draft', 'open', 'closed')
NEW_STATUSES = ('draft', 'in_review', 'open', 'closed', 'taken_down')


def _status_type(values):
    """The status column's type: a short string checked against these values."""
    return sa.Enum(*values, name='campaign_status', native_enum=False, create_constraint=True, length=16)


def _new_columns():
    """The columns this revision adds to campaigns."""
    return [
        sa.Column('share_text', sa.String(length=280), server_default='', nullable=False),
        sa.Column('image_name', sa.String(length=64), nullable=True),
        sa.Column('image_width', sa.Integer(), nullable=True),
        sa.Column('image_height', sa.Integer(), nullable=True),
        sa.Column('submitted_at', sa.DateTime(), nullable=True),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('approved_at', sa.DateTime(), nullable=True),
        sa.Column('rejection_reason', sa.String(length=2000), nullable=True),
        sa.Column('taken_down_at', sa.DateTime(), nullable=True),
        sa.Column('takedown_reason', sa.String(length=2000), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('outcome_kind', sa.Enum('victory', 'response', name='campaign_outcome', native_enum=False, create_constraint=True, length=16), nullable=True),
        sa.Column('outcome_markdown', sa.Text(), nullable=True),
        sa.Column('outcome_at', sa.DateTime(), nullable=True),
    ]


def _set_statuses(values, previous):
    """Replace the CHECK constraint on campaigns.status with one allowing these values."""
    # SQLite cannot alter a constraint: batch mode copies the table with the new type.
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.alter_column(
            'status', existing_type=_status_type(previous), type_=_status_type(values), existing_nullable=False
        )


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        for column in _new_columns():
            batch_op.add_column(column)
        batch_op.create_unique_constraint(batch_op.f('uq_campaigns_image_name'), ['image_name'])
        batch_op.create_foreign_key(
            batch_op.f('fk_campaigns_submitted_by_id_users'), 'users', ['submitted_by_id'], ['id'], ondelete='SET NULL'
        )
    _set_statuses(NEW_STATUSES, OLD_STATUSES)


def downgrade():
    # Campaigns in the new states go back to the nearest old one before the constraint narrows.
    op.execute("UPDATE campaigns SET status = 'draft' WHERE status = 'in_review'")
    op.execute("UPDATE campaigns SET status = 'closed' WHERE status = 'taken_down'")
    _set_statuses(OLD_STATUSES, NEW_STATUSES)
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_campaigns_submitted_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_campaigns_image_name'), type_='unique')
        batch_op.drop_constraint(batch_op.f('ck_campaigns_campaign_outcome'), type_='check')
        for column in reversed(_new_columns()):
            batch_op.drop_column(column.name)
