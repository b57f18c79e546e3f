"""Receipts as a signer meets them: linked from the thank-you page and their own page; pending, proven."""

import re

from sqlalchemy import select

from campaign.counts import fold as counts
from campaign.ledger import merkle
from campaign.ledger.heads import publish_heads
from campaign.ledger.receipt_ids import receipt_for
from campaign.signing.models import Signature
from tests.privacy.test_my_page import my_path
from tests.support.counts import fold_all
from tests.support.forms import csrf_token
from tests.support.outbox import bodies
from tests.support.waiting import wait_until


def confirm_path(db):
    """The confirmation link's path, from the email."""
    return re.search(r"http://localhost(/confirm/\S+)", bodies(db, "confirmation")[-1]).group(1)


def confirm_and_follow(client, db, path=None):
    """Press the confirm button from the email; the thank-you page it leads to."""
    path = path or confirm_path(db)
    page = client.get(path)
    done = client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert done.status_code == 303
    return client.get(done.headers["Location"]).get_data(as_text=True)


def receipt_link(html):
    """The receipt a page links to, or None."""
    found = re.search(r'href="(/campaigns/[^/"]+/receipts/([^"]+))"', html)
    return found.groups() if found else None


def test_the_thank_you_page_links_to_a_receipt_that_is_pending_then_proven(db, client, make_campaign, sign):
    make_campaign(slug="recognize")
    sign("recognize")
    thanks = confirm_and_follow(client, db)

    assert "Your receipt" in thanks
    # Counting comes a moment later: a signer reading 0 without a script is told theirs is on its way.
    assert "Your signature joins the count within a few seconds." in thanks
    path, receipt = receipt_link(thanks)
    # Not yet in a published head: the signer is told to come back.
    pending = client.get(path, headers={"Accept": "application/json"})
    assert pending.status_code == 202 and pending.json == {"pending": True}
    assert "not yet in the public ledger" in client.get(path).get_data(as_text=True)

    fold_all(db)  # with the run's worker, if one is up, folding the confirmation at the same moment
    publish_heads()
    proof = client.get(path, headers={"Accept": "application/json"})
    assert proof.status_code == 200 and proof.json["receipt"] == receipt
    leaf = merkle.leaf_hash(bytes.fromhex(proof.json["leaf_input"]))
    assert proof.json["tree_size"] == 1 and leaf.hex() == proof.json["root_hash"]
    page = client.get(path).get_data(as_text=True)
    assert "What this proves" in page and "How to check it yourself" in page
    assert 'src="/static/js/receipt.js"' in page


def test_the_thank_you_page_shows_no_receipt_it_was_not_given_for_this_campaign(
    db, client, make_campaign, sign
):
    make_campaign(slug="recognize")
    make_campaign(slug="elsewhere")
    sign("recognize")
    thanks = confirm_and_follow(client, db)
    _, receipt = receipt_link(thanks)

    elsewhere = client.get(f"/campaigns/elsewhere/thanks?receipt={receipt}")
    assert receipt_link(elsewhere.get_data(as_text=True)) is None
    made_up = client.get("/campaigns/recognize/thanks?receipt=" + "x" * 300)
    assert made_up.status_code == 200 and receipt_link(made_up.get_data(as_text=True)) is None


def test_confirming_again_leads_to_the_same_receipt(db, client, make_campaign, sign):
    make_campaign(slug="recognize")
    sign("recognize")
    path = confirm_path(db)
    first = receipt_link(confirm_and_follow(client, db, path))
    assert receipt_link(confirm_and_follow(client, db, path)) == first


def test_the_signers_own_page_links_to_the_receipt_once_it_counted(db, client, make_campaign, sign):
    make_campaign(slug="recognize")
    sign("recognize")
    path = my_path(db)
    assert receipt_link(client.get(path).get_data(as_text=True)) is None
    confirm_and_follow(client, db)
    counts.fold_signatures(batch=1000)

    # Counted by this fold, or by the run's worker folding it at the same moment (then a moment later).
    def counted_page() -> str | None:
        page = client.get(path).get_data(as_text=True)
        return page if "Check that it was counted" in page else None

    page = wait_until(counted_page)
    signature_id = db.session.execute(select(Signature.id)).scalar_one()
    assert receipt_link(page)[1] == receipt_for(signature_id)
