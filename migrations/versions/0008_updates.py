"""updates to signers, unsubscribes, dashboard

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'sending', 'sent', name='update_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('recipients_as_of', sa.DateTime(), nullable=True),
    sa.Column('total_recipients', sa.Integer(), nullable=True),
    sa.Column('queued_count', sa.Integer(), nullable=False),
    sa.Column('last_person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_updates_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_updates_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_updates'))
    )
    with op.batch_alter_table('updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_updates_campaign_id'), ['campaign_id'], unique=False)

    op.create_table('update_messages',
    sa.Column('update_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_update_messages_outbox_id_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_update_messages_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['update_id'], ['updates.id'], name=op.f('fk_update_messages_update_id_updates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('update_id', 'person_id', name=op.f('pk_update_messages'))
    )
    with op.batch_alter_table('update_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_update_messages_person_id'), ['person_id'], unique=False)

    op.create_table('update_unsubscribes',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_update_unsubscribes_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_update_unsubscribes_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'person_id', name=op.f('pk_update_unsubscribes'))
    )

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_unsubscribe', sa.String(length=400), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('list_unsubscribe')
    op.drop_table('update_unsubscribes')
    with op.batch_alter_table('update_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_update_messages_person_id'))
    op.drop_table('update_messages')
    with op.batch_alter_table('updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_updates_campaign_id'))
    op.drop_table('updates')
