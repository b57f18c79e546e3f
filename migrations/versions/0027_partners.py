"""co-hosted campaigns: partner organizations and supporters' consents

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 02:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'campaign_partners',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.Enum('invited', 'accepted', 'declined', 'removed',
                                    name='partner_status', native_enum=False,
                                    create_constraint=True, length=16), nullable=False),
        sa.Column('invited_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('responded_at', sa.DateTime(), nullable=True),
        sa.Column('removed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                                name=op.f('fk_campaign_partners_campaign_id_campaigns'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_campaign_partners_organization_id_organizations'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'],
                                name=op.f('fk_campaign_partners_invited_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_partners')),
        sa.UniqueConstraint('campaign_id', 'organization_id',
                            name=op.f('uq_campaign_partners_campaign_id_organization_id')),
    )
    op.create_index(op.f('ix_campaign_partners_organization_id'), 'campaign_partners', ['organization_id'])
    op.create_table(
        'partner_consents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('signature_id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('wording', sa.Text(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'],
                                name=op.f('fk_partner_consents_signature_id_signatures'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_partner_consents_organization_id_organizations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_consents')),
        sa.UniqueConstraint('signature_id', 'organization_id',
                            name=op.f('uq_partner_consents_signature_id_organization_id')),
    )
    op.create_index('ix_partner_consents_organization_id_signature_id', 'partner_consents',
                    ['organization_id', 'signature_id'])


def downgrade():
    op.drop_index('ix_partner_consents_organization_id_signature_id', table_name='partner_consents')
    op.drop_table('partner_consents')
    op.drop_index(op.f('ix_campaign_partners_organization_id'), table_name='campaign_partners')
    op.drop_table('campaign_partners')
