"""letters: officials directory, letter campaigns, deliveries

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 01:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('officials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.String(length=8), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('party', sa.String(length=120), nullable=True),
    sa.Column('photo_url', sa.String(length=500), nullable=True),
    sa.Column('ocd_id', sa.String(length=200), nullable=True),
    sa.Column('is_email_bad', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('bad_since', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officials')),
    sa.UniqueConstraint('name', 'email', name=op.f('uq_officials_name_email')),
    sa.UniqueConstraint('ocd_id', name=op.f('uq_officials_ocd_id'))
    )
    with op.batch_alter_table('officials', schema=None) as batch_op:
        batch_op.create_index('ix_officials_country_region', ['country', 'region'], unique=False)

    op.create_table('letter_campaigns',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('subject_template', sa.String(length=300), nullable=False),
    sa.Column('body_template', sa.Text(), nullable=False),
    sa.Column('is_signer_editable', sa.Boolean(), nullable=False),
    sa.Column('targeting', sa.Enum('fixed', 'routed', name='letter_targeting', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('delivery', sa.Enum('individual', 'digest', name='letter_delivery', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('hourly_cap', sa.Integer(), nullable=False),
    sa.Column('window_start_hour', sa.Integer(), nullable=False),
    sa.Column('window_end_hour', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('hourly_cap > 0', name=op.f('ck_letter_campaigns_hourly_cap_positive')),
    sa.CheckConstraint('window_start_hour >= 0 AND window_end_hour <= 24 AND window_start_hour < window_end_hour', name=op.f('ck_letter_campaigns_window_hours')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_letter_campaigns_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_letter_campaigns'))
    )
    op.create_table('letter_targets',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['letter_campaigns.campaign_id'], name=op.f('fk_letter_targets_campaign_id_letter_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_letter_targets_official_id_officials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'official_id', name=op.f('pk_letter_targets'))
    )
    op.create_table('letter_schedules',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('next_slot_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_letter_schedules_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_letter_schedules_official_id_officials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', 'official_id', name=op.f('pk_letter_schedules'))
    )
    op.create_table('letter_reply_consents',
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], name=op.f('fk_letter_reply_consents_signature_id_signatures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('signature_id', name=op.f('pk_letter_reply_consents'))
    )
    op.create_table('letters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('message_hash', sa.String(length=64), nullable=True),
    sa.Column('is_held', sa.Boolean(), nullable=False),
    sa.Column('bounced_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_letters_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_letters_official_id_officials'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_letters_outbox_id_outbox'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], name=op.f('fk_letters_signature_id_signatures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letters')),
    sa.UniqueConstraint('signature_id', 'official_id', name=op.f('uq_letters_signature_id_official_id'))
    )
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letters_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_message_hash'), ['message_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_official_id'), ['official_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letters_outbox_id'), ['outbox_id'], unique=False)

    op.create_table('letter_followups',
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', sa.DateTime(), nullable=False),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('answer', sa.Enum('yes', 'no', name='reply_answer', native_enum=False, create_constraint=True, length=16), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_letter_followups_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], name=op.f('fk_letter_followups_signature_id_signatures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('signature_id', name=op.f('pk_letter_followups'))
    )
    with op.batch_alter_table('letter_followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_followups_campaign_id'), ['campaign_id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sender_name', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('sender_name')

    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letters_outbox_id'))
        batch_op.drop_index(batch_op.f('ix_letters_official_id'))
        batch_op.drop_index(batch_op.f('ix_letters_message_hash'))
        batch_op.drop_index(batch_op.f('ix_letters_campaign_id'))

    with op.batch_alter_table('letter_followups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_followups_campaign_id'))

    op.drop_table('letter_followups')
    op.drop_table('letters')
    op.drop_table('letter_reply_consents')
    op.drop_table('letter_schedules')
    op.drop_table('letter_targets')
    op.drop_table('letter_campaigns')
    with op.batch_alter_table('officials', schema=None) as batch_op:
        batch_op.drop_index('ix_officials_country_region')

    op.drop_table('officials')
