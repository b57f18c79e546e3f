"""campaigns in several languages: a campaign's words (title, summary, text, share text,
letter) translated per language; adding one to a public campaign is a change under review

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 23:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

OLD_KINDS = ('outcome', 'text', 'letter', 'update', 'close')
NEW_KINDS = (*OLD_KINDS, 'translation')


def _kind(values):
    return sa.Enum(*values, name='change_kind', native_enum=False, create_constraint=True, length=16)


def _set_kinds(old, new):
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE change_requests DROP CONSTRAINT IF EXISTS ck_change_requests_change_kind')
        listed = ', '.join(f"'{value}'" for value in new)
        op.execute(f'ALTER TABLE change_requests ADD CONSTRAINT ck_change_requests_change_kind '
                   f'CHECK (kind IN ({listed}))')
    else:
        with op.batch_alter_table('change_requests', schema=None) as batch_op:
            batch_op.alter_column('kind', existing_type=_kind(old), type_=_kind(new), existing_nullable=False)


def upgrade():
    op.create_table(
        'campaign_translations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('summary', sa.String(length=500), nullable=False),
        sa.Column('body_markdown', sa.Text(), nullable=False),
        sa.Column('share_text', sa.String(length=280), server_default='', nullable=False),
        sa.Column('letter_subject', sa.String(length=300), nullable=True),
        sa.Column('letter_body', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['campaign_id'], ['campaigns.id'],
            name=op.f('fk_campaign_translations_campaign_id_campaigns'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_translations')),
        sa.UniqueConstraint(
            'campaign_id', 'language', name=op.f('uq_campaign_translations_campaign_id_language'),
        ),
    )
    _set_kinds(OLD_KINDS, NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM change_requests WHERE kind = 'translation'")
    _set_kinds(NEW_KINDS, OLD_KINDS)
    op.drop_table('campaign_translations')
