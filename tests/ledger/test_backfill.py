"""`campaign ledger backfill`: signatures counted before the ledger existed get their adds, once."""

from sqlalchemy import delete, func, select

from campaign.ledger.heads import publish_heads
from campaign.ledger.models import LedgerEntry, LedgerHead, LedgerNode, LedgerReceipt, LedgerTree
from campaign.ledger.receipt_ids import receipt_for
from campaign.signing import supporters
from campaign.signing.models import Signature
from tests.ledger.test_ledger import add_signers, count_and_publish, entries_of, head_of


def forget_the_ledger(db):
    """A deployment from before the ledger: counted signatures, counters, and no ledger at all."""
    for model in (LedgerHead, LedgerNode, LedgerEntry, LedgerReceipt, LedgerTree):
        db.session.execute(delete(model))
    db.session.commit()


def test_backfill_adds_every_counted_signature_once_and_the_head_adds_up(app, db, client, make_campaign):
    campaign = make_campaign(slug="older")
    other = make_campaign(slug="other")
    ids = add_signers(db, campaign, 7)
    add_signers(db, other, 3, offset=100)
    count_and_publish(db)
    forget_the_ledger(db)
    # Withdrawn before the upgrade: no longer counted, so nothing to add.
    assert supporters.withdraw(db.session.get(Signature, ids[0]).person_id, ids[0])
    db.session.commit()
    count_and_publish(db)  # the withdrawal is folded: its remove names a receipt the ledger never added
    db.session.execute(delete(LedgerEntry))
    db.session.execute(delete(LedgerNode))
    db.session.execute(delete(LedgerHead))
    db.session.execute(delete(LedgerTree))
    db.session.commit()

    runner = app.test_cli_runner()
    done = runner.invoke(args=["ledger", "backfill", "--batch", "4"])
    assert done.exit_code == 0, done.output
    assert "Added 9 counted signatures that were missing from the ledger." in done.output
    publish_heads()

    head = head_of(client, "older")
    assert (head["tree_size"], head["additions"], head["removals"]) == (6, 6, 0)
    assert head["additions"] - head["removals"] == client.get("/campaigns/older/count.json").json["count"]
    assert {e["event"] for e in entries_of(client, "older", 6)} == {"add"}
    assert head_of(client, "other")["additions"] == 3
    # Each counted signature's receipt now proves its add.
    receipt = receipt_for(ids[3])
    proof = client.get(f"/campaigns/older/receipts/{receipt}", headers={"Accept": "application/json"})
    assert proof.status_code == 200

    again = runner.invoke(args=["ledger", "backfill"])
    assert (
        again.exit_code == 0
        and "Added 0 counted signatures that were missing from the ledger." in again.output
    )
    assert db.session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one() == 9
