"""ledger: each campaign's append-only Merkle tree of count events, its signed heads, receipts, signing keys

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 12:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def _campaign():
    return sa.Column('campaign_id', sa.Integer(), nullable=False)


def _campaign_key(table):
    return sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                   name=op.f(f'fk_{table}_campaign_id_campaigns'), ondelete='CASCADE')


def upgrade():
    op.create_table(
        'ledger_keys',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_keys')),
    )
    op.create_table(
        'ledger_trees',
        _campaign(),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('additions', sa.BigInteger(), nullable=False),
        sa.Column('removals', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        _campaign_key('ledger_trees'),
        sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_ledger_trees')),
    )
    op.create_table(
        'ledger_entries',
        _campaign(),
        sa.Column('index', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('leaf_input', sa.LargeBinary(), nullable=False),
        _campaign_key('ledger_entries'),
        sa.PrimaryKeyConstraint('campaign_id', 'index', name=op.f('pk_ledger_entries')),
    )
    op.create_table(
        'ledger_nodes',
        _campaign(),
        sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column('index', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
        _campaign_key('ledger_nodes'),
        sa.PrimaryKeyConstraint('campaign_id', 'level', 'index', name=op.f('pk_ledger_nodes')),
    )
    op.create_table(
        'ledger_heads',
        sa.Column('id', sa.Integer(), nullable=False),
        _campaign(),
        sa.Column('slug', sa.String(length=80), nullable=False),
        sa.Column('tree_size', sa.BigInteger(), nullable=False),
        sa.Column('root_hash', sa.LargeBinary(length=32), nullable=False),
        sa.Column('additions', sa.BigInteger(), nullable=False),
        sa.Column('removals', sa.BigInteger(), nullable=False),
        sa.Column('published_at', sa.DateTime(), nullable=False),
        sa.Column('key_id', sa.String(length=32), nullable=False),
        sa.Column('signature', sa.LargeBinary(length=64), nullable=False),
        _campaign_key('ledger_heads'),
        sa.ForeignKeyConstraint(['key_id'], ['ledger_keys.id'],
                                name=op.f('fk_ledger_heads_key_id_ledger_keys')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_heads')),
    )
    op.create_index('ix_ledger_heads_campaign_id_id', 'ledger_heads', ['campaign_id', 'id'], unique=False)
    op.create_table(
        'ledger_receipts',
        sa.Column('signature_id', sa.Integer(), nullable=False),
        _campaign(),
        sa.Column('receipt', sa.String(length=32), nullable=False),
        sa.Column('added_index', sa.BigInteger(), nullable=True),
        sa.Column('removed_index', sa.BigInteger(), nullable=True),
        _campaign_key('ledger_receipts'),
        sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'],
                                name=op.f('fk_ledger_receipts_signature_id_signatures'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('signature_id', name=op.f('pk_ledger_receipts')),
        sa.UniqueConstraint('receipt', name=op.f('uq_ledger_receipts_receipt')),
    )


def downgrade():
    op.drop_table('ledger_receipts')
    op.drop_index('ix_ledger_heads_campaign_id_id', table_name='ledger_heads')
    op.drop_table('ledger_heads')
    op.drop_table('ledger_nodes')
    op.drop_table('ledger_entries')
    op.drop_table('ledger_trees')
    op.drop_table('ledger_keys')
