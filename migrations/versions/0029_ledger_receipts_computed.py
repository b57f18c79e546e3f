"""ledger: receipts computed from the signature (not stored), each entry keeps its signature, no per-row foreign keys

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 05:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# The foreign keys checked once per appended row: the fold writes thousands a second.
_DROPPED = (
    ("ledger_entries", "fk_ledger_entries_campaign_id_campaigns", ["campaign_id"], "campaigns"),
    ("ledger_nodes", "fk_ledger_nodes_campaign_id_campaigns", ["campaign_id"], "campaigns"),
    ("ledger_receipts", "fk_ledger_receipts_campaign_id_campaigns", ["campaign_id"], "campaigns"),
    ("ledger_receipts", "fk_ledger_receipts_signature_id_signatures", ["signature_id"], "signatures"),
)


def upgrade():
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signature_id", sa.Integer(), nullable=True))
    # The entries appended so far name stored receipts: each gets the signature its receipt belongs to.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE ledger_entries AS e SET signature_id = r.signature_id FROM ledger_receipts AS r"
            " WHERE r.campaign_id = e.campaign_id"
            " AND r.receipt = convert_from(e.leaf_input, 'UTF8')::json->>'receipt'"
        )
    else:
        op.execute(
            "UPDATE ledger_entries SET signature_id = (SELECT r.signature_id FROM ledger_receipts AS r"
            " WHERE r.campaign_id = ledger_entries.campaign_id"
            " AND r.receipt = json_extract(CAST(ledger_entries.leaf_input AS TEXT), '$.receipt'))"
        )
    # With the index, a receipt's latest events are the first rows of one index scan.
    op.create_index(
        "ix_ledger_entries_signature_id_index", "ledger_entries", ["signature_id", "index"], unique=False
    )
    for table, name, _columns, _referred in _DROPPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_="foreignkey")


def downgrade():
    for table, name, columns, referred in _DROPPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(name, referred, columns, ["id"], ondelete="CASCADE")
    op.drop_index("ix_ledger_entries_signature_id_index", table_name="ledger_entries")
    with op.batch_alter_table("ledger_entries", schema=None) as batch_op:
        batch_op.drop_column("signature_id")
