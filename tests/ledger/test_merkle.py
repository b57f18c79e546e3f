"""The tree math against RFC 6962's reference vectors and a naive full-tree implementation.

The vectors are those of transparency-dev/merkle (proof/verify_test.go), the
Certificate Transparency reference: eight leaves, the roots of their first
1..8, and inclusion and consistency proofs among them.
"""

import hashlib
import random

import pytest

from campaign.ledger import merkle, verify

LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657"]] + [
    bytes.fromhex("606162636465666768696a6b6c6d6e6f")
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
# (leaf index, tree size, audit path); the reference numbers leaves from 1.
INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY = [
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]


# ---------------------------------------------------------------- naive RFC 6962, from the leaves


def naive_root(leaves):
    """MTH(D[n]) exactly as RFC 6962 2.1 writes it."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return merkle.leaf_hash(leaves[0])
    k = merkle.split_point(len(leaves))
    return merkle.node_hash(naive_root(leaves[:k]), naive_root(leaves[k:]))


def naive_path(m, leaves):
    """PATH(m, D[n]) as RFC 6962 2.1.1 writes it."""
    if len(leaves) <= 1:
        return []
    k = merkle.split_point(len(leaves))
    if m < k:
        return [*naive_path(m, leaves[:k]), naive_root(leaves[k:])]
    return [*naive_path(m - k, leaves[k:]), naive_root(leaves[:k])]


def naive_subproof(m, leaves, complete):
    """SUBPROOF(m, D[n], b) as RFC 6962 2.1.2 writes it."""
    n = len(leaves)
    if m == n:
        return [] if complete else [naive_root(leaves)]
    k = merkle.split_point(n)
    if m <= k:
        return [*naive_subproof(m, leaves[:k], complete), naive_root(leaves[k:])]
    return [*naive_subproof(m - k, leaves[k:], False), naive_root(leaves[:k])]


class StoredTree:
    """A tree grown by merkle.append, in random-sized batches, as the ledger grows one."""

    def __init__(self, leaves, seed=0):
        self.nodes = {}
        rng = random.Random(seed)
        size = 0
        while size < len(leaves):
            batch = leaves[size : size + rng.randint(1, 5)]
            frontier = [(node, self.nodes[node]) for node in merkle.range_nodes(0, size)]
            self.nodes.update(merkle.append(frontier, size, [merkle.leaf_hash(x) for x in batch]))
            size += len(batch)

    def root(self, size):
        """The root of the first `size` leaves, from the stored nodes."""
        return merkle.range_hash(self.nodes, 0, size)

    def hashes(self, ranges):
        """The hashes of ranges, from the stored nodes only."""
        return [merkle.range_hash(self.nodes, start, end) for start, end in ranges]


def some_leaves(count):
    """Distinct leaf inputs."""
    return [f'{{"event":"add","receipt":"r{i}"}}'.encode() for i in range(count)]


# ---------------------------------------------------------------- the reference vectors


def test_roots_of_the_reference_trees_of_0_to_8_leaves():
    tree = StoredTree(LEAVES)
    assert merkle.range_hash(tree.nodes, 0, 0).hex() == EMPTY_ROOT
    assert verify.TreeBuilder().root().hex() == EMPTY_ROOT
    for size, expected in enumerate(ROOTS, start=1):
        assert tree.root(size).hex() == expected
        assert naive_root(LEAVES[:size]).hex() == expected
        builder = verify.TreeBuilder()
        for leaf in LEAVES[:size]:
            builder.add(leaf)
        assert builder.root().hex() == expected


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_reference_audit_paths(index, size, path):
    tree = StoredTree(LEAVES)
    made = tree.hashes(merkle.inclusion_ranges(index, size))
    assert [h.hex() for h in made] == path
    root = bytes.fromhex(ROOTS[size - 1])
    assert verify.verify_inclusion(index, size, merkle.leaf_hash(LEAVES[index]), made, root)
    assert not verify.verify_inclusion(index + 1, size, merkle.leaf_hash(LEAVES[index]), made, root)
    assert not verify.verify_inclusion(index, size, merkle.leaf_hash(b"WrongLeaf"), made, root)


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_reference_consistency_proofs(first, second, proof):
    tree = StoredTree(LEAVES)
    made = tree.hashes(merkle.consistency_ranges(first, second))
    assert [h.hex() for h in made] == proof
    first_root, second_root = bytes.fromhex(ROOTS[first - 1]), bytes.fromhex(ROOTS[second - 1])
    assert verify.verify_consistency(first, second, first_root, second_root, made)
    assert not verify.verify_consistency(first, second, second_root, first_root, made)
    assert not verify.verify_consistency(first, second, first_root, second_root, made[:-1])
    flipped = [bytes([made[0][0] ^ 16]) + made[0][1:], *made[1:]]
    assert not verify.verify_consistency(first, second, first_root, second_root, flipped)


# ---------------------------------------------------------------- against the naive tree


def test_every_proof_up_to_20_leaves_matches_the_naive_tree_and_verifies():
    leaves = some_leaves(20)
    tree = StoredTree(leaves, seed=1)
    for n in range(1, 21):
        root = naive_root(leaves[:n])
        assert tree.root(n) == root
        for m in range(n):
            path = tree.hashes(merkle.inclusion_ranges(m, n))
            assert path == naive_path(m, leaves[:n])
            assert verify.verify_inclusion(m, n, merkle.leaf_hash(leaves[m]), path, root)
            if path:
                assert not verify.verify_inclusion(m, n, merkle.leaf_hash(leaves[m]), path[:-1], root)
        for m in range(0, n + 1):
            proof = tree.hashes(merkle.consistency_ranges(m, n))
            expected = [] if m in (0, n) else naive_subproof(m, leaves[:n], True)
            assert proof == expected, (m, n)
            assert verify.verify_consistency(m, n, naive_root(leaves[:m]), root, proof)
            if 0 < m < n:
                other = naive_root([*leaves[: m - 1], b"forged"])
                assert not verify.verify_consistency(m, n, other, root, proof)


def test_random_proofs_in_larger_trees():
    rng = random.Random(6962)
    leaves = some_leaves(700)
    tree = StoredTree(leaves, seed=2)
    for _ in range(60):
        n = rng.randint(1, 700)
        m = rng.randrange(n)
        root = naive_root(leaves[:n])
        assert tree.root(n) == root
        path = tree.hashes(merkle.inclusion_ranges(m, n))
        assert path == naive_path(m, leaves[:n])
        assert verify.verify_inclusion(m, n, merkle.leaf_hash(leaves[m]), path, root)
        first = rng.randint(1, n)
        proof = tree.hashes(merkle.consistency_ranges(first, n))
        assert verify.verify_consistency(first, n, naive_root(leaves[:first]), root, proof)


def test_appends_in_batches_of_any_size_store_exactly_the_complete_subtrees_from_the_lowest_level():
    # As the fold appends: batches of one to hundreds of leaves, only subtrees of 16 leaves or more kept.
    rng = random.Random(9162)
    leaves = some_leaves(1500)
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    nodes, size = {}, 0
    while size < len(leaves):
        count = rng.choice([1, 2, 3, 15, 16, 17, 63, 200, 333])
        batch = hashes[size : size + count]
        frontier = merkle.range_nodes(0, size)
        # The small frontier nodes are hashed again from their leaves, as stored_nodes does.
        known = {**nodes, **{node: naive_root(leaves[node[1] << node[0] : (node[1] + 1) << node[0]])
                             for node in frontier if node[0] < merkle.STORED_LEVEL}}  # fmt: skip
        made = merkle.append([(node, known[node]) for node in frontier], size, batch, merkle.STORED_LEVEL)
        assert len({node for node, _ in made}) == len(made)
        nodes.update(made)
        size += len(batch)
    complete = {
        (level, index)
        for level in range(merkle.STORED_LEVEL, len(leaves).bit_length())
        for index in range(len(leaves) >> level)
    }
    assert set(nodes) == complete
    for level, index in rng.sample(sorted(complete), 40):
        assert nodes[(level, index)] == naive_root(leaves[index << level : (index + 1) << level])


def test_a_proof_reads_only_a_logarithmic_number_of_stored_nodes():
    n = 1_000_000
    for m in (0, 1, 499_999, 524_288, n - 1):
        assert len(merkle.nodes_for(merkle.inclusion_ranges(m, n))) <= 2 * n.bit_length()
    assert len(merkle.nodes_for(merkle.consistency_ranges(123_457, n))) <= 2 * n.bit_length()


def test_impossible_proofs_are_refused():
    with pytest.raises(ValueError):
        merkle.inclusion_ranges(5, 5)
    with pytest.raises(ValueError):
        merkle.consistency_ranges(6, 5)
