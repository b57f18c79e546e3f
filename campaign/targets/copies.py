"""Near-identical letters: a keyed MinHash of each signer's own words, to catch a copy with a word changed.

A signer's own paragraph is sealed with the rest of their data (the web tier
cannot read it back), so its likeness to other paragraphs is measured once,
when it is signed, and only a sketch is kept:

- the words, case-folded and stripped of punctuation as for the exact-copy
  hash, are cut into overlapping shingles of a few characters;
- each shingle is hashed with keyed BLAKE2b, under a key derived from the
  blind-index key (as `vault.blind_index` derives one per purpose), by 64
  different keyed functions, and only the smallest value of each is kept.

Privacy: that keyed MinHash is all that is stored. Without the key a sketch
cannot be tested against guessed words, and with it a sketch still holds
no shingle, only minima. Two sketches tell how alike two paragraphs are
(the share of equal minima estimates the Jaccard similarity of their
shingles). To find the alike ones without reading every sketch, each is
also filed under 16 band keys (locality-sensitive hashing): paragraphs at
least about half alike share a band with high probability.

datasketch does this well but needs numpy and scipy; 64 minima per signature
are a few lines of the standard library.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import BigInteger, ForeignKey, LargeBinary, Select, delete, exists, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from campaign import clock
from campaign.extensions import db
from campaign.privacy import vault
from campaign.targets.models import Letter

SHINGLE_CHARACTERS = 5
PERMUTATIONS = 64
BANDS = 16
ROWS_PER_BAND = PERMUTATIONS // BANDS
# Short sentences are alike by nature ("I support this", "I fully support
# this"): below this many words a paragraph is compared word for word only.
MIN_WORDS = 8
# Paragraphs sharing a band that are read and compared, at most, per letter.
CANDIDATES = 200
_PURPOSE = "message-minhash"
# Each keyed BLAKE2b gives 64 bytes: 16 minima of 32 bits.
_VALUES_PER_DIGEST = 16


class MessageSketch(db.Model):  # type: ignore[name-defined]
    """The keyed MinHash of one signature's own words (never the words)."""

    __tablename__ = "message_sketches"

    signature_id: Mapped[int] = mapped_column(
        ForeignKey("signatures.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    minhash: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class MessageBand(db.Model):  # type: ignore[name-defined]
    """One band key of a sketch: alike paragraphs of a campaign share some (the index finds them)."""

    __tablename__ = "message_bands"

    campaign_id: Mapped[int] = mapped_column(primary_key=True)
    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    signature_id: Mapped[int] = mapped_column(
        ForeignKey("message_sketches.signature_id", ondelete="CASCADE"), primary_key=True, index=True
    )


def words_of(message: str | None) -> list[str]:
    """The words of a paragraph, case-folded, without punctuation (as the exact-copy hash reads them)."""
    return re.sub(r"[\W_]+", " ", (message or "").casefold()).split()


def shingles(words: list[str]) -> set[str]:
    """The overlapping runs of characters of the words joined by single spaces."""
    text = " ".join(words)
    if len(text) <= SHINGLE_CHARACTERS:
        return {text} if text else set()
    return {text[i : i + SHINGLE_CHARACTERS] for i in range(len(text) - SHINGLE_CHARACTERS + 1)}


def _key() -> bytes:
    """The MinHash key: derived from the blind-index key, so it never leaves the servers either."""
    return bytes.fromhex(vault.blind_index("shingles", purpose=_PURPOSE))


def sketch(message: str | None) -> bytes | None:
    """The keyed MinHash of a paragraph (64 minima of 32 bits); None for a paragraph too short to compare."""
    words = words_of(message)
    if len(words) < MIN_WORDS:
        return None
    key = _key()
    rounds = PERMUTATIONS // _VALUES_PER_DIGEST
    unpack = struct.Struct(f"<{_VALUES_PER_DIGEST}I").unpack
    rows = [
        [
            value
            for n in range(rounds)
            for value in unpack(
                hashlib.blake2b(shingle.encode(), key=key, digest_size=64, person=b"minhash%d" % n).digest()
            )
        ]
        for shingle in shingles(words)
    ]
    minima = [min(column) for column in zip(*rows, strict=True)]
    return struct.pack(f"<{PERMUTATIONS}I", *minima)


def similarity(one: bytes, other: bytes) -> float:
    """The estimated Jaccard similarity of two paragraphs' shingles: the share of equal minima."""
    first = struct.unpack(f"<{PERMUTATIONS}I", one)
    second = struct.unpack(f"<{PERMUTATIONS}I", other)
    return sum(a == b for a, b in zip(first, second, strict=True)) / PERMUTATIONS


def band_keys(minhash: bytes) -> list[int]:
    """The sketch's band keys: each hashes one run of minima with the band's number (signed 64 bits)."""
    width = 4 * ROWS_PER_BAND
    keys = []
    for band in range(BANDS):
        rows = minhash[band * width : (band + 1) * width]
        digest = hashlib.blake2b(rows, digest_size=8, person=b"band%d" % band).digest()
        keys.append(int.from_bytes(digest, "big", signed=True))
    return keys


def remember(signature_id: int, campaign_id: int, message: str | None) -> None:
    """Keep the keyed MinHash of a new signature's own words, and its band keys (nothing for a short one)."""
    minhash = sketch(message)
    if minhash is None:
        return
    db.session.execute(
        insert(MessageSketch).values(
            signature_id=signature_id, campaign_id=campaign_id, minhash=minhash, created_at=clock.now()
        )
    )
    db.session.execute(
        insert(MessageBand),
        [
            {"campaign_id": campaign_id, "band_key": key, "signature_id": signature_id}
            for key in sorted(set(band_keys(minhash)))
        ],
    )


def near_copies(signature_id: int, campaign_id: int) -> set[int]:
    """Other signatures of the campaign, with letters written, whose words are nearly the same as these."""
    mine = db.session.get(MessageSketch, signature_id)
    if mine is None:
        return set()
    has_letters = exists().where(Letter.signature_id == MessageBand.signature_id)
    candidates = (
        select(MessageBand.signature_id)
        .where(
            MessageBand.campaign_id == campaign_id,
            MessageBand.band_key.in_(band_keys(mine.minhash)),
            MessageBand.signature_id != signature_id,
            has_letters,
        )
        .distinct()
        .limit(CANDIDATES)
    )
    threshold = current_app.config["NEAR_COPY_PERCENT"] / 100
    others = db.session.execute(
        select(MessageSketch.signature_id, MessageSketch.minhash).where(
            MessageSketch.signature_id.in_(candidates)
        )
    ).all()
    return {other for other, minhash in others if similarity(mine.minhash, minhash) >= threshold}


def forget(signature_ids: Iterable[int] | Select[Any]) -> None:
    """Drop the sketches of signatures withdrawn, erased or anonymised (ids, or a select of them)."""
    ids = signature_ids if isinstance(signature_ids, Select) else list(signature_ids)
    db.session.execute(delete(MessageBand).where(MessageBand.signature_id.in_(ids)))
    db.session.execute(delete(MessageSketch).where(MessageSketch.signature_id.in_(ids)))
