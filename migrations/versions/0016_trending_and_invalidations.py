"""fraud review: the hourly trending report (groups of signatures by address range and
email domain over a threshold) and staff's bulk invalidations (dry-run count, then the run)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 22:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=16)


def upgrade():
    op.create_table('trending_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('window_starts_at', sa.DateTime(), nullable=False),
    sa.Column('window_ends_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trending_reports')),
    sa.UniqueConstraint('window_starts_at', name=op.f('uq_trending_reports_window_starts_at'))
    )
    with op.batch_alter_table('trending_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trending_reports_created_at'), ['created_at'], unique=False)

    op.create_table('trending_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('kind', _enum('trending_kind', 'range', 'domain'), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=255), nullable=True),
    sa.Column('signatures', sa.Integer(), nullable=False),
    sa.Column('fraudulent', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['trending_reports.id'],
                            name=op.f('fk_trending_groups_report_id_trending_reports'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                            name=op.f('fk_trending_groups_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trending_groups'))
    )
    with op.batch_alter_table('trending_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trending_groups_report_id'), ['report_id'], unique=False)

    op.create_table('invalidation_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by', sa.String(length=120), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('started_by', sa.String(length=120), nullable=True),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('status', _enum('invalidation_status', 'counting', 'counted', 'queued', 'running', 'done',
                              'failed'), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=True),
    sa.Column('last_signature_id', sa.Integer(), nullable=True),
    sa.Column('invalidated', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('counted_at', sa.DateTime(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invalidation_jobs'))
    )
    with op.batch_alter_table('invalidation_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invalidation_jobs_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('invalidation_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invalidation_jobs_user_id'))
    op.drop_table('invalidation_jobs')
    with op.batch_alter_table('trending_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trending_groups_report_id'))
    op.drop_table('trending_groups')
    with op.batch_alter_table('trending_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trending_reports_created_at'))
    op.drop_table('trending_reports')
