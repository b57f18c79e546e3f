"""Migration 0029: receipts stored before receipts were computed keep proving, on both databases.

A deployment that ran the ledger before 0029 has leaves naming random
receipts kept in ledger_receipts. After the migration each of its entries
knows its signature, a signature with a stored receipt names it in its later
events, and a new signature gets a computed one.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import select, text

from tests.support.migrations import migrated_app
from tests.support.run import forget_caches

AT = datetime(2026, 12, 1, 9, 0)
FIRST, SECOND = "AAAAAAAAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBBBB"
LEGACY = [
    "INSERT INTO campaigns (id, slug, kind, title, summary, body_markdown, goal, status, language,"
    " created_at, updated_at) VALUES (1, 'kept', 'petition', 'T', 'S', 'B', 1000, 'open', 'en', :at, :at)",
    # 1 counts; 2 counted, then was withdrawn; 3 is confirmed and not yet counted.
    "INSERT INTO signatures (id, campaign_id, status, country, is_comment_public, has_email_opt_in,"
    " consent_version, is_counted, created_at) VALUES"
    " (1, 1, 'validated', 'AM', false, false, '2026-11', true, :at),"
    " (2, 1, 'invalidated', 'AM', false, false, '2026-11', false, :at),"
    " (3, 1, 'validated', 'AM', false, false, '2026-11', false, :at)",
    "UPDATE signatures SET removal_reason = 'withdrawn' WHERE id = 2",
    "INSERT INTO ledger_trees (campaign_id, size, additions, removals, removed_withdrawn, removed_erased,"
    " removed_fraud, removed_invalidated, updated_at) VALUES (1, 3, 2, 1, 1, 0, 0, 0, :at)",
    f"""INSERT INTO ledger_entries (campaign_id, "index", leaf_input) VALUES
     (1, 0, CAST('{{"event":"add","receipt":"{FIRST}"}}' AS BLOB_TYPE)),
     (1, 1, CAST('{{"event":"add","receipt":"{SECOND}"}}' AS BLOB_TYPE)),
     (1, 2, CAST('{{"event":"remove","reason":"withdrawn","receipt":"{SECOND}"}}' AS BLOB_TYPE))""",
    f"INSERT INTO ledger_receipts (signature_id, campaign_id, receipt, added_index, removed_index) VALUES"
    f" (1, 1, '{FIRST}', 0, NULL), (2, 1, '{SECOND}', 1, 2)",
    "INSERT INTO campaign_counts (campaign_id, total, updated_at, version) VALUES (1, 1, :at, 1)",
]


def test_stored_receipts_keep_proving_and_new_signatures_get_computed_ones(
    app: Any, database_url: str, tmp_path: Any
) -> None:
    from flask_migrate import upgrade

    from campaign.counts import fold
    from campaign.extensions import db
    from campaign.ledger import heads, keys, merkle, proofs, receipt_ids
    from campaign.ledger.models import LedgerEntry
    from campaign.ledger.verify import verify_inclusion
    from campaign.privacy import keys as privacy_keys

    privacy_keys.forget()
    try:
        with migrated_app(database_url, KEYS_PATH=str(tmp_path / "k")):
            upgrade(revision="0028")
            blob = "bytea" if db.engine.dialect.name == "postgresql" else "BLOB"
            for statement in LEGACY:
                db.session.execute(text(statement.replace("BLOB_TYPE", blob)), {"at": AT})
            db.session.commit()

            upgrade()
            privacy_keys.init_keys()

            owners = db.session.execute(
                select(LedgerEntry.signature_id).order_by(LedgerEntry.index)
            ).scalars()
            assert list(owners) == [1, 2, 2]
            assert receipt_ids.signature_of(1, FIRST) == 1 and receipt_ids.signature_of(1, SECOND) == 2
            assert receipt_ids.signature_of(2, FIRST) is None  # another campaign's
            computed = receipt_ids.receipt_for(3)
            assert computed not in (FIRST, SECOND) and receipt_ids.signature_of(1, computed) == 3

            # 1 is withdrawn and 3 counts: the remove names the stored receipt, the add the computed one.
            db.session.execute(
                text(
                    "UPDATE signatures SET status = 'invalidated', removal_reason = 'withdrawn' WHERE id = 1"
                )
            )
            db.session.commit()
            assert fold.fold_signatures(batch=100) == 2
            keys.create_key()
            heads.publish_heads()
            leaves = db.session.execute(
                select(LedgerEntry.leaf_input, LedgerEntry.signature_id)
                .where(LedgerEntry.index >= 3)
                .order_by(LedgerEntry.index)
            ).all()
            assert [(bytes(leaf).decode(), owner) for leaf, owner in leaves] == [
                (f'{{"event":"remove","reason":"withdrawn","receipt":"{FIRST}"}}', 1),
                (f'{{"event":"add","receipt":"{computed}"}}', 3),
            ]

            first = proofs.receipt_state(1, FIRST)
            assert first is not None and (first.leaf_index, first.removed_index, first.tree_size) == (0, 3, 5)
            second = proofs.receipt_state(1, SECOND)
            assert second is not None and (second.leaf_index, second.removed_index) == (1, 2)
            third = proofs.receipt_state(1, computed)
            assert third is not None and not third.is_pending and third.leaf_index == 4
            for state in (first, second, third):
                assert verify_inclusion(
                    state.leaf_index,
                    state.tree_size,
                    merkle.leaf_hash(state.leaf_input),
                    list(state.audit_path),
                    state.root_hash,
                )
    finally:
        # Its fold published campaign 1's count (a later version than the next test's campaign 1).
        forget_caches()
