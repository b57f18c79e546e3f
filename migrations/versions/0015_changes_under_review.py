"""changes under review: changes to an approved campaign (outcome, text, letter,
update to signers, closing) kept until approved, each organization's choice of who
approves members' changes; keyed MinHash sketches of letters' own words

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 22:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _review(name):
    return sa.Enum('owner', 'staff', name=name, native_enum=False, create_constraint=True, length=16)


def upgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_review', _review('change_review'), server_default='owner',
                                      nullable=False))

    op.create_table('change_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('outcome', 'text', 'letter', 'update', 'close', name='change_kind', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'rejected', 'withdrawn', name='change_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('review_by', _review('change_review_by'), nullable=False),
    sa.Column('pending_key', sa.String(length=40), nullable=True),
    sa.Column('update_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_reason', sa.String(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_change_requests_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['update_id'], ['updates.id'], name=op.f('fk_change_requests_update_id_updates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_change_requests_proposed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_change_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_requests')),
    sa.UniqueConstraint('campaign_id', 'pending_key', name=op.f('uq_change_requests_campaign_id_pending_key')),
    )
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_requests_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_requests_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_requests_update_id'), ['update_id'], unique=False)

    op.create_table('message_sketches',
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('minhash', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], name=op.f('fk_message_sketches_signature_id_signatures'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_message_sketches_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('signature_id', name=op.f('pk_message_sketches')),
    )
    op.create_table('message_bands',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('band_key', sa.BigInteger(), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['signature_id'], ['message_sketches.signature_id'], name=op.f('fk_message_bands_signature_id_message_sketches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'band_key', 'signature_id', name=op.f('pk_message_bands')),
    )
    with op.batch_alter_table('message_bands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_bands_signature_id'), ['signature_id'], unique=False)


def downgrade():
    with op.batch_alter_table('message_bands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_bands_signature_id'))
    op.drop_table('message_bands')
    op.drop_table('message_sketches')
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_requests_update_id'))
        batch_op.drop_index(batch_op.f('ix_change_requests_status'))
        batch_op.drop_index(batch_op.f('ix_change_requests_campaign_id'))
    op.drop_table('change_requests')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        if op.get_bind().dialect.name != 'postgresql':
            # SQLite copies the table: its CHECK on the column must go first (PostgreSQL drops it with it).
            batch_op.drop_constraint(batch_op.f('ck_organizations_change_review'), type_='check')
        batch_op.drop_column('change_review')
