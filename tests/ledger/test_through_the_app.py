"""Sign, confirm and withdraw as a supporter does, a real worker folding: the ledger follows the count."""

import json

from sqlalchemy import select

from campaign.ledger.heads import publish_heads
from campaign.ledger.receipt_ids import receipt_for
from campaign.signing.models import Signature
from tests.privacy.test_my_page import confirm, my_path, press
from tests.support.waiting import wait_until


def test_a_confirmation_adds_and_a_withdrawal_removes_in_step_with_the_count(
    db, client, make_campaign, sign, celery_worker
):
    make_campaign(slug="recognize")
    sign("recognize")
    path = my_path(db)
    confirm(client, db)
    count = lambda: client.get("/campaigns/recognize/count.json").json["count"]  # noqa: E731
    wait_until(lambda: count() == 1, timeout=15)
    publish_heads()
    head = client.get("/campaigns/recognize/ledger.json").json
    assert head["additions"] - head["removals"] == count() == 1
    signature_id = db.session.execute(select(Signature.id)).scalar_one()
    receipt = receipt_for(signature_id)
    proven = client.get(f"/campaigns/recognize/receipts/{receipt}", headers={"Accept": "application/json"})
    assert proven.status_code == 200 and proven.json["leaf_index"] == 0

    press(client, path, f"{path}/withdraw/{signature_id}")
    wait_until(lambda: count() == 0, timeout=10)
    publish_heads()

    head = client.get("/campaigns/recognize/ledger.json").json
    assert (head["tree_size"], head["additions"], head["removals"]) == (2, 1, 1)
    assert head["additions"] - head["removals"] == count() == 0
    [_, last] = client.get("/campaigns/recognize/ledger/entries?start=0&end=1").json["entries"]
    assert json.loads(bytes.fromhex(last["leaf_input"])) == {
        "event": "remove",
        "receipt": receipt,
        "reason": "withdrawn",
    }
    # The receipt still proves the add, and says it was removed.
    after = client.get(
        f"/campaigns/recognize/receipts/{receipt}", headers={"Accept": "application/json"}
    ).json
    assert after["leaf_index"] == 0 and after["removed_leaf_index"] == 1
    page = client.get(f"/campaigns/recognize/receipts/{receipt}").get_data(as_text=True)
    assert "no longer counts" in page
