"""an address's owner can stop all email to it: a suppression that outlives the person's erasure;
those who stopped email before are stopped the same way

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 15:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

OLD = ("hard_bounce", "complaint")
NEW = OLD + ("stopped",)


def _reason(values):
    return sa.Enum(*values, name="suppression_reason", native_enum=False, create_constraint=True, length=16)


def _set_reasons(old, new):
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE mail_suppressions DROP CONSTRAINT IF EXISTS ck_mail_suppressions_suppression_reason")
        listed = ", ".join(f"'{value}'" for value in new)
        op.execute(
            "ALTER TABLE mail_suppressions ADD CONSTRAINT ck_mail_suppressions_suppression_reason "
            f"CHECK (reason IN ({listed}))"
        )
    else:
        with op.batch_alter_table("mail_suppressions", schema=None) as batch_op:
            batch_op.alter_column("reason", existing_type=_reason(old), type_=_reason(new), existing_nullable=False)


def upgrade():
    _set_reasons(OLD, NEW)
    # The button said "Stop all email": those who pressed it asked for all of it.
    op.execute(
        "INSERT INTO mail_suppressions (recipient_index, reason, created_at) "
        "SELECT email_index, 'stopped', email_stopped_at FROM people WHERE email_stopped_at IS NOT NULL "
        "ON CONFLICT DO NOTHING"
    )


def downgrade():
    op.execute("DELETE FROM mail_suppressions WHERE reason = 'stopped'")
    _set_reasons(NEW, OLD)
