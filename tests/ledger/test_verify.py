"""`campaign verify` against a live site: it passes on an honest ledger and fails on a tampered one."""

import subprocess
import sys
import threading
from datetime import timedelta

from sqlalchemy import delete, select, update

from campaign.counts import read as counts
from campaign.counts.models import CampaignCount
from campaign.ledger import verify
from campaign.ledger.heads import latest_head
from campaign.ledger.models import LedgerEntry, LedgerNode, LedgerReceipt, LedgerTree
from campaign.ledger.receipt_ids import receipt_for
from campaign.signing import supporters
from campaign.signing.models import Signature, SignatureStatus
from tests.ledger.test_ledger import add_signers, count_and_publish
from tests.support.waiting import wait_until

VERIFY_PY = verify.__file__


def run_verify(*args):
    """The verifier as a journalist runs it: `python verify.py ...`, in its own process."""
    done = subprocess.run([sys.executable, VERIFY_PY, *args], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def test_the_verifier_passes_then_proves_the_next_head_extends_the_one_it_saw(
    db, site, make_campaign, tmp_path
):
    campaign = make_campaign(slug="verified")
    ids = add_signers(db, campaign, 30)
    count_and_publish(db)
    url = f"{site}/campaigns/verified"
    receipt = f"{url}/receipts/{receipt_for(ids[7])}"
    state = tmp_path / "heads.json"

    status, said = run_verify(url, "--receipt", receipt, "--state", str(state))
    assert status == 0, said
    assert "count: 30" in said and "entry 7, included" in said and "OK" in said

    add_signers(db, campaign, 5, offset=100)
    person = db.session.get(Signature, ids[3]).person_id
    assert supporters.withdraw(person, ids[3])
    db.session.commit()
    count_and_publish(db)

    status, said = run_verify(url, "--state", str(state))
    assert status == 0, said
    assert "count: 34" in said and "36 added" not in said and "35 added, 1 removed" in said
    assert "consistency: extends the head of 30 entries" in said


def test_the_verifier_fails_when_a_stored_leaf_was_changed(db, site, make_campaign):
    campaign = make_campaign(slug="tampered")
    add_signers(db, campaign, 9)
    count_and_publish(db)
    assert run_verify(f"{site}/campaigns/tampered")[0] == 0

    db.session.execute(
        update(LedgerEntry)
        .where(LedgerEntry.campaign_id == campaign.id, LedgerEntry.index == 4)
        .values(leaf_input=b'{"event":"add","receipt":"someone-else"}')
    )
    db.session.commit()
    status, said = run_verify(f"{site}/campaigns/tampered")
    assert status == 1
    assert "FAILED: the entries do not make the signed root" in said


def test_the_verifier_fails_when_the_count_disagrees_with_a_newer_head(db, site, make_campaign):
    campaign = make_campaign(slug="miscounted")
    add_signers(db, campaign, 4)
    count_and_publish(db)
    assert verify_in_process(f"{site}/campaigns/miscounted")[0] == 0
    # The count shown grows by one that the ledger never saw, before the head was signed.
    head, _ = latest_head(campaign.id)
    db.session.execute(
        update(CampaignCount)
        .where(CampaignCount.campaign_id == campaign.id)
        .values(
            total=5, version=CampaignCount.version + 1, updated_at=head.published_at - timedelta(seconds=5)
        )
    )
    db.session.commit()
    counts.publish([campaign.id])

    status, said = verify_in_process(f"{site}/campaigns/miscounted")
    assert status == 1
    assert "FAILED: the site shows a count of 5, the ledger 4" in said


def verify_in_process(url, **options):
    """verify.run, collecting what it says."""
    lines = []
    status = verify.run(url, say=lines.append, **options)
    return status, "\n".join(lines)


def test_the_watcher_alerts_on_a_head_that_rewrites_history(db, site, make_campaign, tmp_path):
    campaign = make_campaign(slug="watched")
    add_signers(db, campaign, 10)
    count_and_publish(db)
    lines = []
    result = {}

    def watch():
        result["status"] = verify.run(f"{site}/campaigns/watched", watch=0.2, say=lines.append)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    wait_until(lambda: any(line.startswith("head: 10 entries") for line in lines))

    # History rewritten: the ledger is rebuilt from scratch without the first signer's add (as if it
    # had never counted, rather than removed in public), and grows to more than before.
    for model in (LedgerEntry, LedgerNode, LedgerTree, LedgerReceipt):
        db.session.execute(delete(model).where(model.campaign_id == campaign.id))
    db.session.execute(update(Signature).where(Signature.campaign_id == campaign.id).values(is_counted=False))
    first = db.session.execute(
        select(Signature.id).where(Signature.campaign_id == campaign.id).order_by(Signature.id).limit(1)
    ).scalar_one()
    db.session.execute(
        update(Signature).where(Signature.id == first).values(status=SignatureStatus.INVALIDATED)
    )
    db.session.execute(update(CampaignCount).where(CampaignCount.campaign_id == campaign.id).values(total=0))
    db.session.commit()
    add_signers(db, campaign, 2, offset=50)
    count_and_publish(db)

    watcher.join(timeout=30)
    assert result.get("status") == 1, lines
    assert any("FAILED" in line and "rewritten" in line for line in lines), lines


def test_campaign_verify_is_the_same_verifier(db, site, make_campaign, app):
    campaign = make_campaign(slug="by-command")
    add_signers(db, campaign, 2)
    count_and_publish(db)
    runner = app.test_cli_runner()
    answer = runner.invoke(args=["verify", f"{site}/campaigns/by-command"])
    assert answer.exit_code == 0, answer.output
    assert "OK: every check passed" in answer.output
    bad = runner.invoke(args=["verify", "not a url"])
    assert bad.exit_code == 2 and "error:" in bad.output
    assert (
        db.session.execute(select(LedgerTree.size).where(LedgerTree.campaign_id == campaign.id)).scalar() == 2
    )


def test_campaign_ledger_keys_lists_the_key_and_rotates_it(db, app, make_campaign):
    make_campaign(slug="keyed")
    runner = app.test_cli_runner()
    made = runner.invoke(args=["ledger", "keys"])
    assert made.exit_code == 0, made.output
    assert "current" in made.output
    rotated = runner.invoke(args=["ledger", "keys", "--rotate"])
    assert rotated.exit_code == 0 and "New ledger key" in rotated.output and "retired" in rotated.output
    published = runner.invoke(args=["ledger", "publish"])
    assert published.exit_code == 0 and "Published 1 head." in published.output
