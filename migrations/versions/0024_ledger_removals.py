"""ledger removals by reason (the campaign page says why); the counted signatures an invalidation removes

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

REASONS = ('withdrawn', 'erased', 'fraud', 'invalidated')


def upgrade():
    for reason in REASONS:
        op.add_column('ledger_trees', sa.Column(f'removed_{reason}', sa.BigInteger(), nullable=False,
                                                server_default='0'))
    # Trees appended before this revision: their removes, recounted from the entries.
    if op.get_bind().dialect.name == 'postgresql':
        reason_of = "convert_from(e.leaf_input, 'UTF8')::jsonb ->> 'reason'"
    else:
        reason_of = "json_extract(CAST(e.leaf_input AS TEXT), '$.reason')"
    for reason in REASONS:
        op.execute(
            sa.text(
                f"UPDATE ledger_trees SET removed_{reason} = ("  # noqa: S608 - constants only
                " SELECT count(*) FROM ledger_entries AS e"
                f" WHERE e.campaign_id = ledger_trees.campaign_id AND {reason_of} = :reason)"
                " WHERE removals > 0"
            ).bindparams(reason=reason)
        )
    op.add_column('invalidation_jobs', sa.Column('matched_counted', sa.Integer(), nullable=True))


def downgrade():
    op.drop_column('invalidation_jobs', 'matched_counted')
    for reason in REASONS:
        op.drop_column('ledger_trees', f'removed_{reason}')
