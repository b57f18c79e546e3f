"""reasons for signing: a clear copy of only what a signer asked to show (their comment as plain
text, first name, country), hidden by organizers or staff; the comment consent now names the country

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 23:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

VERSION = '2026-12'


def upgrade():
    op.create_table(
        'public_comments',
        sa.Column('signature_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('first_name', sa.String(length=100), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('hidden_at', sa.DateTime(), nullable=True),
        sa.Column('hidden_by', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_public_comments_campaign_id_campaigns'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'],
                                name=op.f('fk_public_comments_signature_id_signatures'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('signature_id', name=op.f('pk_public_comments')),
    )
    with op.batch_alter_table('public_comments', schema=None) as batch_op:
        batch_op.create_index('ix_public_comments_campaign_id_created_at', ['campaign_id', 'created_at'],
                              unique=False)
    # The words of the consents from now on: the comment's names the country shown with it.
    consent_texts = sa.table('consent_texts', sa.column('version', sa.String),
                             sa.column('consent', sa.String), sa.column('text', sa.Text))
    rows = [
        {'version': VERSION, 'consent': 'email_opt_in', 'text': 'Email me updates about this campaign'},
        {'version': VERSION, 'consent': 'comment_public',
         'text': 'Show my comment on this page, with my first name and country'},
        {'version': VERSION, 'consent': 'reply_to_opt_in',
         'text': 'Let the officials reply to me: show them my email address'},
    ]
    # A downgrade keeps these words (signatures may have been given under them): add only what is missing.
    present = set(op.get_bind().execute(
        sa.select(consent_texts.c.consent).where(consent_texts.c.version == VERSION)).scalars())
    op.bulk_insert(consent_texts, [row for row in rows if row['consent'] not in present])


def downgrade():
    # Signatures given under the new words keep their version: its words stay in consent_texts
    # (a consent's words are kept for good), and an upgrade again finds them there.
    with op.batch_alter_table('public_comments', schema=None) as batch_op:
        batch_op.drop_index('ix_public_comments_campaign_id_created_at')
    op.drop_table('public_comments')
