"""flood rules: signatures can be stored as fraudulent; keyed hashes of the client's
address range and of the email's domain; owed mail knows its recipient's keyed hash

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 22:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

OLD = ('pending', 'validated', 'invalidated')
NEW = OLD + ('fraudulent',)


def _status(values):
    return sa.Enum(*values, name='signature_status', native_enum=False, create_constraint=True, length=16)


def _set_statuses(old, new):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE signatures DROP CONSTRAINT IF EXISTS ck_signatures_signature_status')
        listed = ', '.join(f"'{value}'" for value in new)
        op.execute(f'ALTER TABLE signatures ADD CONSTRAINT ck_signatures_signature_status '
                   f'CHECK (status IN ({listed}))')
    else:
        with op.batch_alter_table('signatures', schema=None) as batch_op:
            batch_op.alter_column('status', existing_type=_status(old), type_=_status(new),
                                  existing_nullable=False)


def upgrade():
    _set_statuses(OLD, NEW)
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_range_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('email_domain_index', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('client_range_sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('flood_rule', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_signatures_client_range_hash'), ['client_range_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_signatures_email_domain_index'), ['email_domain_index'],
                              unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_index', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_outbox_recipient_index_created_at', ['recipient_index', 'created_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_recipient_index_created_at')
        batch_op.drop_column('recipient_index')
    op.execute("UPDATE signatures SET status = 'invalidated' WHERE status = 'fraudulent'")
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signatures_email_domain_index'))
        batch_op.drop_index(batch_op.f('ix_signatures_client_range_hash'))
        batch_op.drop_column('flood_rule')
        batch_op.drop_column('client_range_sealed')
        batch_op.drop_column('email_domain_index')
        batch_op.drop_column('client_range_hash')
    _set_statuses(NEW, OLD)
