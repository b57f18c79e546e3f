"""The ledger as the public reads it: heads that add up to the count, entries, receipts, consistency, keys."""

import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select

from campaign.counts import fold as counts
from campaign.ledger import keys, merkle, verify
from campaign.ledger.heads import latest_head, publish_heads
from campaign.ledger.receipt_ids import receipt_for
from campaign.signing import confirmation as signing
from campaign.signing import supporters
from campaign.signing.models import Signature
from tests.support.counts import fold_all
from tests.support.signers import add_signatures_in_bulk


def add_signers(db, campaign, count, offset=0):
    """Validated signatures, not yet counted; their ids."""
    rows = [{"email": f"s{offset + i}-{campaign.id}@example.org"} for i in range(count)]
    return add_signatures_in_bulk(db, campaign.id, rows)


def count_and_publish(db):
    """What the worker and beat do: fold, then publish heads."""
    fold_all(db)
    publish_heads()


def head_of(client, slug):
    """ledger.json, checked as a public, cookieless answer."""
    answer = client.get(f"/campaigns/{slug}/ledger.json")
    assert answer.status_code == 200, answer.status_code
    assert "public" in answer.headers["Cache-Control"]
    assert "Set-Cookie" not in answer.headers
    return answer.json


def entries_of(client, slug, size):
    """Every entry, decoded."""
    got = client.get(f"/campaigns/{slug}/ledger/entries?start=0&end={size - 1}").json["entries"]
    return [json.loads(bytes.fromhex(entry["leaf_input"])) for entry in got]


def test_the_signed_head_adds_up_to_the_count(db, client, make_campaign):
    campaign = make_campaign(slug="counted")
    add_signers(db, campaign, 12)
    count_and_publish(db)

    head = head_of(client, "counted")
    count = client.get("/campaigns/counted/count.json").json["count"]
    assert count == 12
    assert head["tree_size"] == 12 and head["additions"] - head["removals"] == count
    text = f"counted\n{head['tree_size']}\n{head['root_hash']}\n{head['published_at']}".encode()
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(head["public_key"])).verify(
        bytes.fromhex(head["signature"]), text
    )
    assert head["published_at"].endswith("Z")
    key = client.get("/.well-known/ledger-key")
    assert key.headers["Content-Type"].startswith("text/plain")
    assert key.get_data(as_text=True).strip() == head["public_key"]
    assert len(bytes.fromhex(head["public_key"])) == 32

    events = entries_of(client, "counted", 12)
    assert {event["event"] for event in events} == {"add"}
    assert len({event["receipt"] for event in events}) == 12
    # Nothing of a person: the leaves hold the event and a random receipt, no more.
    assert all(set(event) == {"event", "receipt"} for event in events)
    builder = verify.TreeBuilder()
    for entry in client.get("/campaigns/counted/ledger/entries?start=0&end=11").json["entries"]:
        builder.add(bytes.fromhex(entry["leaf_input"]))
    assert builder.root().hex() == head["root_hash"]


def test_a_campaign_without_signatures_has_a_signed_empty_head(db, client, make_campaign):
    make_campaign(slug="quiet")
    assert client.get("/campaigns/quiet/ledger.json").status_code == 404
    publish_heads()
    head = head_of(client, "quiet")
    assert (head["tree_size"], head["additions"], head["removals"]) == (0, 0, 0)
    assert head["root_hash"] == merkle.EMPTY_ROOT.hex()
    # Nothing changed: no new head.
    assert publish_heads() == 0


def test_withdrawal_and_invalidation_append_removes_naming_the_receipt(db, client, make_campaign):
    campaign = make_campaign(slug="removals")
    ids = add_signers(db, campaign, 5)
    count_and_publish(db)
    before = head_of(client, "removals")
    receipts = {receipt_for(i): i for i in ids}

    person = db.session.get(Signature, ids[0]).person_id
    assert supporters.withdraw(person, ids[0])
    assert signing.invalidate(ids[1])
    db.session.commit()
    count_and_publish(db)

    head = head_of(client, "removals")
    assert head["tree_size"] == 7 and (head["additions"], head["removals"]) == (5, 2)
    assert (
        client.get("/campaigns/removals/count.json").json["count"]
        == 3
        == head["additions"] - head["removals"]
    )
    removes = [event for event in entries_of(client, "removals", 7) if event["event"] == "remove"]
    assert {receipts[event["receipt"]]: event["reason"] for event in removes} == {
        ids[0]: "withdrawn",
        ids[1]: "invalidated",
    }
    # The new head extends the old one.
    proof = client.get(f"/campaigns/removals/ledger/consistency?first={before['tree_size']}&second=7").json
    assert proof["first"] == 5 and proof["second"] == 7
    assert verify.verify_consistency(
        5,
        7,
        bytes.fromhex(before["root_hash"]),
        bytes.fromhex(head["root_hash"]),
        [bytes.fromhex(h) for h in proof["proof"]],
    )


def test_a_receipt_is_pending_until_a_head_includes_it_then_proven(db, client, make_campaign):
    campaign = make_campaign(slug="receipts")
    [first] = add_signers(db, campaign, 1)
    receipt = receipt_for(first)
    db.session.commit()
    path = f"/campaigns/receipts/receipts/{receipt}"
    as_json = {"Accept": "application/json"}

    pending = client.get(path, headers=as_json)
    assert pending.status_code == 202 and pending.json == {"pending": True}
    counts.fold_signatures(batch=1000)
    assert client.get(path, headers=as_json).status_code == 202  # counted, not yet in a published head
    add_signers(db, campaign, 6, offset=10)
    count_and_publish(db)

    proven = client.get(path, headers=as_json)
    assert proven.status_code == 200
    body = proven.json
    head = head_of(client, "receipts")
    assert body["receipt"] == receipt and body["slug"] == "receipts"
    assert body["tree_size"] == head["tree_size"] == 7 and body["root_hash"] == head["root_hash"]
    assert json.loads(bytes.fromhex(body["leaf_input"])) == {"event": "add", "receipt": receipt}
    assert verify.verify_inclusion(
        body["leaf_index"],
        body["tree_size"],
        merkle.leaf_hash(bytes.fromhex(body["leaf_input"])),
        [bytes.fromhex(h) for h in body["audit_path"]],
        bytes.fromhex(body["root_hash"]),
    )

    page = client.get(path)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    text = page.get_data(as_text=True)
    assert "What this proves" in text and "What this does not prove" in text and receipt in text
    assert "public" in page.headers["Cache-Control"] and "Set-Cookie" not in page.headers
    assert client.get("/campaigns/receipts/receipts/not-a-receipt", headers=as_json).status_code == 404


def test_a_receipt_proves_only_on_its_own_campaign_and_cannot_be_made_up(db, client, make_campaign):
    campaign = make_campaign(slug="ours")
    make_campaign(slug="theirs")
    ids = add_signers(db, campaign, 3)
    count_and_publish(db)
    receipt = receipt_for(ids[1])
    as_json = {"Accept": "application/json"}
    assert client.get(f"/campaigns/ours/receipts/{receipt}", headers=as_json).json["leaf_index"] == 1
    # Computed receipts look random: neither similar nor sequential for neighbouring signatures.
    others = {receipt_for(ids[0]), receipt_for(ids[2])}
    assert len(receipt) == 22 and receipt not in others
    assert not any(sum(a == b for a, b in zip(receipt, other, strict=True)) > 8 for other in others)
    # Another campaign's page, a receipt changed by one character, one made up: none is a receipt.
    flipped = receipt[:-2] + ("A" if receipt[-2] != "A" else "B") + receipt[-1]
    for path in (
        f"/campaigns/theirs/receipts/{receipt}",
        f"/campaigns/ours/receipts/{flipped}",
        "/campaigns/ours/receipts/" + "A" * 22,
        "/campaigns/ours/receipts/" + "%" * 22,
    ):
        assert client.get(path, headers=as_json).status_code == 404, path


def test_entries_are_paged_and_bad_ranges_refused(db, client, make_campaign):
    campaign = make_campaign(slug="paged")
    add_signers(db, campaign, 10)
    count_and_publish(db)
    base = "/campaigns/paged/ledger/entries"

    page = client.get(f"{base}?start=2&end=4").json["entries"]
    assert [entry["index"] for entry in page] == [2, 3, 4]
    assert [e["index"] for e in client.get(f"{base}?start=8&end=5000").json["entries"]] == [8, 9]
    for query in ("start=5&end=2", "start=x&end=3", "start=-1&end=3", "end=3", "start=10&end=12", ""):
        assert client.get(f"{base}?{query}").status_code == 400, query
    for query in ("first=3&second=2", "first=1&second=11", "first=a&second=3"):
        assert client.get(f"/campaigns/paged/ledger/consistency?{query}").status_code == 400, query
    assert client.get("/campaigns/nothing-here/ledger/entries?start=0&end=1").status_code == 404


def test_a_page_holds_at_most_a_thousand_entries(db, client, make_campaign):
    campaign = make_campaign(slug="big")
    add_signers(db, campaign, 1005)
    count_and_publish(db)
    got = client.get("/campaigns/big/ledger/entries?start=0&end=1004").json["entries"]
    assert len(got) == 1000 and got[-1]["index"] == 999


def test_a_rotated_key_signs_the_next_heads_and_the_old_one_stays_listed(db, client, make_campaign):
    campaign = make_campaign(slug="rotated")
    add_signers(db, campaign, 3)
    count_and_publish(db)
    old = head_of(client, "rotated")

    keys.create_key()
    db.session.commit()
    assert publish_heads() == 1  # the unchanged tree, signed again with the new key
    new = head_of(client, "rotated")
    assert new["public_key"] != old["public_key"] and new["root_hash"] == old["root_hash"]
    assert client.get("/.well-known/ledger-key").get_data(as_text=True).strip() == new["public_key"]
    listed = client.get("/.well-known/ledger-keys").json["keys"]
    assert [k["public_key"] for k in listed] == [old["public_key"], new["public_key"]]
    assert listed[0]["retired_at"] is not None and listed[1]["retired_at"] is None
    text = f"rotated\n{old['tree_size']}\n{old['root_hash']}\n{old['published_at']}".encode()
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(old["public_key"])).verify(
        bytes.fromhex(old["signature"]), text
    )


def test_the_ledger_stores_only_subtrees_of_sixteen_leaves_or_more_and_proves_every_leaf(
    db, client, make_campaign
):
    from campaign.ledger.models import LedgerNode

    campaign = make_campaign(slug="stored")
    ids = add_signers(db, campaign, 13)
    count_and_publish(db)  # an append that ends inside a block of sixteen...
    ids += add_signers(db, campaign, 27, offset=13)
    count_and_publish(db)  # ...and one that starts there, from the entries
    nodes = db.session.execute(select(LedgerNode.level, LedgerNode.index).order_by("level", "index")).all()
    # 40 leaves: the two complete blocks of 16 and the 32 they make; smaller subtrees come from the entries.
    assert [tuple(node) for node in nodes] == [(4, 0), (4, 1), (5, 0)]
    builder = verify.TreeBuilder()
    for entry in client.get("/campaigns/stored/ledger/entries?start=0&end=39").json["entries"]:
        builder.add(bytes.fromhex(entry["leaf_input"]))
    assert builder.root().hex() == head_root(db, campaign.id)
    for signature_id in (ids[0], ids[14], ids[37], ids[39]):
        path = f"/campaigns/stored/receipts/{receipt_for(signature_id)}"
        proof = client.get(path, headers={"Accept": "application/json"}).json
        assert verify.verify_inclusion(
            proof["leaf_index"],
            40,
            merkle.leaf_hash(bytes.fromhex(proof["leaf_input"])),
            [bytes.fromhex(h) for h in proof["audit_path"]],
            bytes.fromhex(proof["root_hash"]),
        )


def head_root(db, campaign_id):
    """The latest head's root, from the database."""
    head, _ = latest_head(campaign_id)
    return head.root_hash.hex()
