"""Check a campaign's public ledger from outside: `python verify.py https://site/campaigns/<slug>`.

Needs only Python 3.10+ and the `cryptography` package (pip install cryptography);
it imports nothing else of the platform, so anyone can read it and run it. It

- fetches the campaign's signed tree head and checks its Ed25519 signature, and
  that the key is the one the site publishes at /.well-known/ledger-key;
- downloads every entry, rebuilds the Merkle tree (RFC 6962) and checks that
  its root is the signed one, and recounts additions and removals;
- compares additions - removals with the count the site shows;
- with --receipt URL, checks that the receipt's entry is in the tree;
- with --state FILE, remembers the heads it saw and checks that each new head
  extends them (a consistency proof): a log that was rewritten fails;
- with --watch SECONDS, keeps polling and stops with an alert (exit status 1)
  on the first head that does not check out.

Exit status: 0 all checks passed, 1 a check failed, 2 the site could not be read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

PAGE = 1000
# Heads kept in the state file per campaign (the newest is the one checked against).
SEEN_KEPT = 20
TIMEOUT = 30


class Failed(Exception):
    """A check that did not pass: the ledger is not what the site claims."""


class Unreachable(Exception):
    """The site could not be read (network, status, not JSON)."""


# ---------------------------------------------------------------- RFC 6962 hashing


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


class TreeBuilder:
    """The root of a growing list of leaves, kept as its complete subtrees (O(log n) memory)."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (leaves below, hash), largest first

    def add(self, data: bytes) -> None:
        """Append one leaf."""
        self._stack.append((1, leaf_hash(data)))
        self.size += 1
        while len(self._stack) > 1 and self._stack[-1][0] == self._stack[-2][0]:
            count, right = self._stack.pop()
            _, left = self._stack.pop()
            self._stack.append((count * 2, node_hash(left, right)))

    def root(self) -> bytes:
        """MTH of the leaves so far (SHA-256 of nothing for none)."""
        if not self._stack:
            return hashlib.sha256(b"").digest()
        result = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            result = node_hash(left, result)
        return result


def verify_inclusion(index: int, size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2: does this audit path put this leaf hash at `index` of a tree with this root?"""
    if index >= size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: does this proof show the tree of `second` leaves extends the one of `first`?"""
    if first > second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


# ---------------------------------------------------------------- the site


def fetch(url: str, accept: str = "application/json") -> tuple[int, bytes]:
    """GET a URL: its status and body; Unreachable if it cannot be read or answers an error."""
    request = urllib.request.Request(  # noqa: S310 (Site.of took http(s) addresses only)
        url, headers={"Accept": accept, "User-Agent": "campaign-ledger-verify/1"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (http(s) URLs only)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        raise Unreachable(f"{url} answered {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        raise Unreachable(f"{url} could not be read: {error}") from error


def fetch_json(url: str) -> tuple[int, Any]:
    """GET a URL that answers JSON."""
    status, body = fetch(url)
    try:
        return status, json.loads(body)
    except ValueError as error:
        raise Unreachable(f"{url} did not answer JSON") from error


@dataclass(frozen=True)
class Site:
    """Where a campaign's ledger is."""

    origin: str
    slug: str

    @classmethod
    def of(cls, url: str) -> Site:
        """From the campaign's address (or its ledger.json, or a receipt's)."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) address: {url}")
        pieces = [p for p in parts.path.split("/") if p]
        if len(pieces) < 2 or pieces[0] != "campaigns":
            raise ValueError(f"not a campaign's address (…/campaigns/<slug>): {url}")
        return cls(f"{parts.scheme}://{parts.netloc}", pieces[1])

    def url(self, path: str, **query: int) -> str:
        """An address on the site, under the campaign's when path is relative."""
        base = self.origin + (path if path.startswith("/") else f"/campaigns/{self.slug}/{path}")
        return base + ("?" + urllib.parse.urlencode(query) if query else "")


@dataclass(frozen=True)
class Head:
    """A signed tree head."""

    slug: str
    tree_size: int
    root_hash: bytes
    additions: int
    removals: int
    published_at: str
    public_key: bytes
    signature: bytes

    @classmethod
    def parse(cls, data: Any) -> Head:
        """From ledger.json; Failed if a field is missing or malformed."""
        try:
            return cls(
                str(data["slug"]),
                int(data["tree_size"]),
                bytes.fromhex(data["root_hash"]),
                int(data["additions"]),
                int(data["removals"]),
                str(data["published_at"]),
                bytes.fromhex(data["public_key"]),
                bytes.fromhex(data["signature"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise Failed(f"the head is malformed: {error!r}") from error

    def signed_text(self) -> bytes:
        """What the signature covers."""
        return f"{self.slug}\n{self.tree_size}\n{self.root_hash.hex()}\n{self.published_at}".encode()

    def check_signature(self) -> None:
        """Failed unless the signature is the key's over the head."""
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(self.signature, self.signed_text())
        except (InvalidSignature, ValueError) as error:
            raise Failed(f"the signature of the head of size {self.tree_size} is not valid") from error

    def seen(self) -> dict[str, Any]:
        """What the state file keeps of it."""
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "published_at": self.published_at,
        }


@dataclass
class Ledger:
    """What the verifier rebuilt from the entries: the tree, and who was added and removed."""

    tree: TreeBuilder = field(default_factory=TreeBuilder)
    counted: set[str] = field(default_factory=set)
    additions: int = 0
    removals: int = 0

    def extend(self, site: Site, size: int) -> None:
        """Download entries from where we stopped up to `size`, checking each as it comes."""
        while self.tree.size < size:
            start = self.tree.size
            end = min(size, start + PAGE) - 1
            _, page = fetch_json(site.url("ledger/entries", start=start, end=end))
            got = page.get("entries") if isinstance(page, dict) else None
            if not got:
                raise Failed(f"the site gave no entries from {start}")
            for entry in got:
                self._add(entry)

    def _add(self, entry: Any) -> None:
        """Check one entry and add it to the tree and the count."""
        index = self.tree.size
        try:
            if int(entry["index"]) != index:
                raise Failed(f"expected entry {index}, the site gave {entry['index']}")
            data = bytes.fromhex(entry["leaf_input"])
            event = json.loads(data.decode("utf-8"))
            kind, receipt = event["event"], event["receipt"]
        except (KeyError, TypeError, ValueError) as error:
            raise Failed(f"entry {index} is malformed: {error!r}") from error
        if kind == "add":
            if receipt in self.counted:
                raise Failed(f"entry {index} adds receipt {receipt}, which already counts")
            self.counted.add(receipt)
            self.additions += 1
        elif kind == "remove":
            if receipt not in self.counted:
                raise Failed(f"entry {index} removes receipt {receipt}, which did not count")
            self.counted.discard(receipt)
            self.removals += 1
        else:
            raise Failed(f"entry {index} has an unknown event {kind!r}")
        self.tree.add(data)


# ---------------------------------------------------------------- the checks


def check_head(site: Site, head: Head) -> None:
    """The signature, the key the site publishes, and the slug."""
    head.check_signature()
    if head.slug != site.slug:
        raise Failed(f"the head is signed for {head.slug!r}, not {site.slug!r}")
    _, body = fetch(site.url("/.well-known/ledger-key"), accept="text/plain")
    published = body.decode("ascii", "replace").strip()
    if published != head.public_key.hex():
        _, listed = fetch_json(site.url("/.well-known/ledger-keys"))
        past = (
            {key.get("public_key") for key in listed.get("keys", [])} if isinstance(listed, dict) else set()
        )
        if head.public_key.hex() not in past:
            raise Failed("the head is signed with a key the site does not publish")


def check_tree(head: Head, ledger: Ledger) -> None:
    """The rebuilt root and recount against the head."""
    if ledger.tree.root() != head.root_hash:
        raise Failed(f"the entries do not make the signed root of the tree of {head.tree_size}")
    if (ledger.additions, ledger.removals) != (head.additions, head.removals):
        raise Failed(
            f"the entries hold {ledger.additions} additions and {ledger.removals} removals;"
            f" the head says {head.additions} and {head.removals}"
        )


def check_count(site: Site, head: Head, say: Callable[[str], None]) -> None:
    """additions - removals against count.json, when the head is at least as new as the count."""
    _, count = fetch_json(site.url("count.json"))
    shown, updated = count.get("count"), count.get("updated_at")
    net = head.additions - head.removals
    if shown == net:
        say(f"count: {shown}, as the ledger says ({head.additions} added - {head.removals} removed)")
        return
    if updated and _instant(updated) > _instant(head.published_at):
        say(f"count: {shown} is newer than the head ({net}): it will be checked against the next head")
        return
    raise Failed(f"the site shows a count of {shown}, the ledger {net}")


def _instant(text: str) -> str:
    """An ISO 8601 UTC time, comparable as text (seconds, no zone)."""
    return text.replace("Z", "").replace("+00:00", "")[:19]


@dataclass(frozen=True)
class Receipt:
    """A receipt's proof of inclusion, as the site gave it."""

    receipt: str
    index: int
    size: int
    data: bytes
    root: bytes
    path: list[bytes]

    @classmethod
    def fetch(cls, url: str) -> Receipt | None:
        """The receipt's proof; None while it is pending (not yet in a published head)."""
        status, proof = fetch_json(url)
        if status == 202:
            return None
        try:
            return cls(
                str(proof["receipt"]),
                int(proof["leaf_index"]),
                int(proof["tree_size"]),
                bytes.fromhex(proof["leaf_input"]),
                bytes.fromhex(proof["root_hash"]),
                [bytes.fromhex(h) for h in proof["audit_path"]],
            )
        except (KeyError, TypeError, ValueError) as error:
            raise Failed(f"the receipt is malformed: {error!r}") from error


def check_receipt(site: Site, head: Head, proof: Receipt, say: Callable[[str], None]) -> None:
    """The receipt's entry is in the signed tree: in its root, or in an earlier one the head extends."""
    try:
        named = json.loads(proof.data.decode("utf-8")).get("receipt")
    except ValueError as error:
        raise Failed("the receipt's entry is not JSON") from error
    if named != proof.receipt:
        raise Failed("the receipt's entry names another receipt")
    if not verify_inclusion(proof.index, proof.size, leaf_hash(proof.data), proof.path, proof.root):
        raise Failed(f"the receipt's proof does not put entry {proof.index} in the tree of {proof.size}")
    if proof.size == head.tree_size and proof.root != head.root_hash:
        raise Failed("the receipt is proven against a root other than the signed head's")
    if proof.size != head.tree_size:
        # Proven against an earlier head: that tree must be the start of the signed one.
        earlier = {"tree_size": proof.size, "root_hash": proof.root.hex(), "published_at": "the receipt"}
        check_consistency(site, earlier, head)
    say(f"receipt {proof.receipt}: entry {proof.index}, included in the signed tree of {head.tree_size}")


def check_consistency(site: Site, old: dict[str, Any], head: Head) -> None:
    """The head extends a head seen before."""
    first, first_root = int(old["tree_size"]), bytes.fromhex(old["root_hash"])
    if first > head.tree_size:
        raise Failed(f"the ledger shrank: a head of {first} entries was seen, now {head.tree_size}")
    _, answer = fetch_json(site.url("ledger/consistency", first=first, second=head.tree_size))
    proof = [bytes.fromhex(h) for h in answer.get("proof", [])]
    if not verify_consistency(first, head.tree_size, first_root, head.root_hash, proof):
        raise Failed(
            f"the head of {head.tree_size} entries does not extend the one of {first}"
            f" seen at {old['published_at']}: the ledger was rewritten"
        )


def load_state(path: Path | None) -> dict[str, Any]:
    """The heads seen before, per campaign."""
    if path is None or not path.exists():
        return {"heads": {}}
    return dict(json.loads(path.read_text()))


def save_state(path: Path | None, state: dict[str, Any]) -> None:
    """Keep the heads seen (written whole, then moved in place)."""
    if path is None:
        return
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(json.dumps(state, indent=1, sort_keys=True))
    partial.replace(path)


def verify_once(
    site: Site, ledger: Ledger, state: dict[str, Any], say: Callable[[str], None], receipt: str | None = None
) -> Head:
    """Every check against the site's current head; Failed on the first that does not pass."""
    # The receipt first: a head published meanwhile extends the tree it is proven in.
    proof = Receipt.fetch(receipt) if receipt else None
    _, data = fetch_json(site.url("ledger.json"))
    head = Head.parse(data)
    check_head(site, head)
    say(f"head: {head.tree_size} entries, root {head.root_hash.hex()}, signed {head.published_at}")
    # First whether it extends what was seen before: a rewritten log is named as such.
    seen = state.setdefault("heads", {}).setdefault(site.origin + "/campaigns/" + site.slug, [])
    if seen:
        # Each head seen was checked against the one before it: the newest stands for them all.
        newest = max(seen, key=lambda old: int(old["tree_size"]))
        check_consistency(site, newest, head)
        say(
            f"consistency: extends the head of {newest['tree_size']} entries seen at {newest['published_at']}"
        )
    if ledger.tree.size > head.tree_size:
        raise Failed(f"the ledger shrank from {ledger.tree.size} to {head.tree_size} entries")
    ledger.extend(site, head.tree_size)
    check_tree(head, ledger)
    say(
        f"entries: {head.tree_size} rebuilt, the root matches;"
        f" {ledger.additions} added, {ledger.removals} removed"
    )
    if not any(
        old["root_hash"] == head.root_hash.hex() and old["tree_size"] == head.tree_size for old in seen
    ):
        seen.append(head.seen())
        del seen[:-SEEN_KEPT]
    check_count(site, head, say)
    if receipt and proof is None:
        say("receipt: not yet in a published head (pending); check again later")
    elif proof is not None:
        check_receipt(site, head, proof, say)
    return head


def run(
    url: str,
    receipt: str | None = None,
    state_path: Path | None = None,
    watch: float | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """Verify a campaign's ledger (and keep watching it); return the exit status."""
    try:
        site = Site.of(url)
    except ValueError as error:
        say(f"error: {error}")
        return 2
    state = load_state(state_path)
    ledger = Ledger()
    while True:
        try:
            verify_once(site, ledger, state, say, receipt)
        except Failed as failure:
            say(f"FAILED: {failure}")
            return 1
        except Unreachable as error:
            say(f"error: {error}")
            if watch is None:
                return 2
        finally:
            save_state(state_path, state)
        if watch is None:
            say("OK: every check passed")
            return 0
        receipt = None
        time.sleep(watch)


def main(argv: list[str] | None = None) -> int:
    """The command line: python verify.py URL [--receipt URL] [--state FILE] [--watch SECONDS]."""
    parser = argparse.ArgumentParser(description="Verify a campaign's public ledger.")
    parser.add_argument("url", help="the campaign's address, https://site/campaigns/<slug>")
    parser.add_argument("--receipt", help="a receipt's address, to check that it is in the ledger")
    parser.add_argument("--state", type=Path, help="a file of the heads seen before (made if missing)")
    parser.add_argument("--watch", type=float, metavar="SECONDS", help="keep checking, this often")
    args = parser.parse_args(argv)
    return run(args.url, args.receipt, args.state, args.watch)


if __name__ == "__main__":
    sys.exit(main())
