"""Merkle tree math of RFC 6962 (section 2.1, as RFC 9162): hashes, stored nodes, proofs.

A node is named (level, index): it covers leaves [index * 2**level, (index + 1) * 2**level).
Only complete subtrees are stored; every hash a root or a proof needs is a
fold of O(log n) of them, so nothing is ever rebuilt from the leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from hashlib import sha256

Node = tuple[int, int]
Range = tuple[int, int]

EMPTY_ROOT = hashlib.sha256(b"").digest()
# Complete subtrees of 2**STORED_LEVEL leaves or more are stored; smaller ones are hashed again from
# their few entries when a proof needs them. The leaves and the smallest subtrees would be most of
# the stored rows (two a leaf) and most of an append's cost.
STORED_LEVEL = 4


def leaf_hash(leaf_input: bytes) -> bytes:
    """SHA-256(0x00 || leaf_input)."""
    return hashlib.sha256(b"\x00" + leaf_input).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def subtree_hash(leaf_hashes: list[bytes]) -> bytes:
    """The hash of a complete subtree (a power of two of leaves), from its leaves' hashes."""
    level = list(leaf_hashes)
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def split_point(size: int) -> int:
    """The largest power of two strictly below size (size > 1): where RFC 6962 splits a tree."""
    return 1 << ((size - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete subtrees that make up leaves [start, end), left to right, largest first.

    Every range a root or a proof asks for starts at a multiple of its own
    largest piece, so each piece is a stored, aligned node.
    """
    nodes = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start % (1 << level):
            raise ValueError(f"range [{start}, {end}) is not made of aligned subtrees")
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold(hashes: list[bytes]) -> bytes:
    """The hash of consecutive subtrees, largest first, as RFC 6962 joins them (right to left)."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def range_hash(nodes: Mapping[Node, bytes], start: int, end: int) -> bytes:
    """MTH of leaves [start, end) from stored nodes."""
    return fold([nodes[node] for node in range_nodes(start, end)])


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes make the audit path of a leaf (RFC 6962 2.1.1), bottom first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    ranges = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return ranges[::-1]


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The ranges whose hashes prove a tree of `second` extends the one of `first` (RFC 6962 2.1.2)."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    if first in (0, second):
        return []
    ranges = []
    start, end, is_complete = 0, second, True
    while True:
        size, offset = end - start, first - start
        if offset == size:
            if not is_complete:
                ranges.append((start, end))
            break
        k = split_point(size)
        if offset <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            is_complete = False
    return ranges[::-1]


def nodes_for(ranges: Iterable[Range]) -> set[Node]:
    """Every stored node the hashes of these ranges need."""
    return {node for start, end in ranges for node in range_nodes(start, end)}


def append(
    frontier: list[tuple[Node, bytes]], size: int, leaf_hashes: list[bytes], lowest: int = 0
) -> list[tuple[Node, bytes]]:
    """The nodes of level `lowest` or above that appending these leaves to a tree of `size` completes
    (leaves included at level 0).

    `frontier` is the tree's complete subtrees, largest first (range_nodes(0, size)
    with their hashes): all an append needs to know of the tree. The new nodes are
    made a level at a time, each level's pairs hashed in one pass (a fold appends
    thousands of leaves: a stack walked leaf by leaf cost three times as much).
    """
    # The frontier has at most one node a level: (level, (size >> level) - 1) when that bit of size is set.
    left_of = {level: hashed for (level, _), hashed in frontier}
    made: list[tuple[Node, bytes]] = []
    level, first, hashes = 0, size, list(leaf_hashes)
    while hashes:
        if level >= lowest:
            made.extend(((level, first + offset), hashed) for offset, hashed in enumerate(hashes))
        if first & 1:
            # The first new node completes the frontier's node of this level.
            hashes.insert(0, left_of[level])
            first -= 1
        # Pairs; an odd last node waits for its sibling in a later append.
        pairs = zip(hashes[0 : len(hashes) - 1 : 2], hashes[1::2], strict=True)
        hashes = [sha256(b"\x01" + left + right).digest() for left, right in pairs]
        level, first = level + 1, first >> 1
    return made
