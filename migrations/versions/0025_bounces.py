"""late bounces and complaints (VERP, DSN, ARF)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 02:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    # Who a message went to, by keyed hash, and when a later bounce or complaint about it was read.
    op.add_column('outbox', sa.Column('sent_to_index', sa.String(length=64), nullable=True))
    op.add_column('outbox', sa.Column('bounced_at', sa.DateTime(), nullable=True))
    op.create_index(op.f('ix_outbox_sent_to_index'), 'outbox', ['sent_to_index'])
    op.create_table(
        'mail_suppressions',
        sa.Column('recipient_index', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.Enum('hard_bounce', 'complaint', name='suppression_reason', native_enum=False,
                                    create_constraint=True, length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('recipient_index', 'reason', name=op.f('pk_mail_suppressions')),
    )


def downgrade():
    op.drop_table('mail_suppressions')
    op.drop_index(op.f('ix_outbox_sent_to_index'), table_name='outbox')
    op.drop_column('outbox', 'bounced_at')
    op.drop_column('outbox', 'sent_to_index')
