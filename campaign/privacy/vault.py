"""Sealing personal data to a public key, opening it where the private key is, and blind indexes.

A sealed value is envelope-encrypted: the process that writes draws a random
data key, wraps it once in a sealed box to the current public key
(X25519, PyNaCl), and encrypts each value with AES-256-GCM under the data
key. The wrapped key travels in every value's header, so whoever holds the
private key unwraps it once per data key and then opens values at the speed
of a symmetric cipher (an export of a million rows unwraps a few dozen keys,
not a million). A writer keeps its data key for DATA_KEY_SECONDS and then
forgets it: after that, even the process that sealed a value cannot open it.

Layout: version (1) | key id length (1) | key id | wrapped data key (80) |
nonce (12) | ciphertext. The header and a purpose (which column it is) are
authenticated, so a value cannot be moved to another column unnoticed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from nacl.exceptions import CryptoError
from nacl.public import PublicKey, SealedBox

from campaign.privacy import keys

VERSION = 1
# A sealed box of a 32-byte key: ephemeral public key (32), MAC (16), the key (32).
WRAPPED_SIZE = 80
NONCE_SIZE = 12

# key id -> (monotonic time it expires, AESGCM, header) of this process's current data key
_writing: dict[str, tuple[float, AESGCM, bytes]] = {}
# wrapped data key -> AESGCM, in processes that open values
_opened: dict[bytes, AESGCM] = {}
# purpose -> the blind-index key of that purpose (derived once per process)
_index_keys: dict[str, bytes] = {}


class CannotOpen(Exception):
    """This value cannot be opened here: no private key for it, or it was altered."""


def seal(values: Sequence[str], *, purpose: str, organization_id: int | None) -> bytes:
    """Seal a list of strings to the organization's current key (the platform's if it has none)."""
    key_id, public = keys.current_key(organization_id)
    return seal_to(values, purpose=purpose, key_id=key_id, public=public)


def seal_to(values: Sequence[str], *, purpose: str, key_id: str, public: PublicKey) -> bytes:
    """Seal a list of strings to one given public key."""
    header, cipher = _data_key(key_id, public)
    nonce = os.urandom(NONCE_SIZE)
    plaintext = json.dumps(list(values), ensure_ascii=False, separators=(",", ":")).encode()
    return header + nonce + cipher.encrypt(nonce, plaintext, purpose.encode() + header)


def open_values(sealed: bytes, *, purpose: str) -> list[str]:
    """Open a sealed list of strings; CannotOpen where the private key is not held or it was altered."""
    header, nonce, ciphertext = _split(sealed)
    try:
        plaintext = _cipher_for(header).decrypt(nonce, ciphertext, purpose.encode() + header)
    except InvalidTag:
        raise CannotOpen("the sealed value was altered or belongs elsewhere") from None
    # Decoded first: json.loads on bytes would sniff their encoding on every call.
    values: list[str] = json.loads(plaintext.decode())
    return values


def open_many(sealed: Iterable[bytes], *, purpose: str) -> list[list[str]]:
    """Open many sealed lists of strings (an export's batch): what open_values gives for each, faster.

    Values sealed in one writer's window share a header (the same wrapped data
    key), so the header is parsed and its key looked up once per run of such
    values instead of once per value, and the plain lists most values hold are
    decoded without the json module.
    """
    opened: list[list[str]] = []
    purpose_bytes = purpose.encode()
    header = b""
    cipher: AESGCM | None = None
    associated = b""
    nonce_at = ciphertext_at = 0
    for value in sealed:
        # A value that starts with the last header has that header (a header says its own length).
        if cipher is None or not value.startswith(header):
            header = _split(value)[0]
            cipher = _cipher_for(header)
            associated = purpose_bytes + header
            nonce_at, ciphertext_at = len(header), len(header) + NONCE_SIZE
        try:
            plaintext = cipher.decrypt(value[nonce_at:ciphertext_at], value[ciphertext_at:], associated)
        except InvalidTag:
            raise CannotOpen("the sealed value was altered or belongs elsewhere") from None
        opened.append(_decoded(plaintext.decode()))
    return opened


def _decoded(text: str) -> list[str]:
    """The list of strings seal_to encoded: split directly when no value needed escaping, else json.

    Without a backslash no value holds an escaped character (a quote, a control
    character), so every quote delimits a value: the list is exactly the text
    between `["`, `","` and `"]`, which the count of quotes confirms.
    """
    if "\\" not in text and text.startswith('["') and text.endswith('"]'):
        values = text[2:-2].split('","')
        if text.count('"') == 2 * len(values):
            return values
    decoded: list[str] = json.loads(text)
    return decoded


def key_id_of(sealed: bytes) -> str:
    """The id of the key a value is sealed to."""
    return _split(sealed)[0][2 : 2 + sealed[1]].decode()


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash: equal values give equal indexes; useless without the key."""
    key = _index_keys.get(purpose)
    if key is None:
        # One key per purpose: an email's index and a paragraph's never compare.
        key = _index_keys[purpose] = hmac.new(keys.index_key(), purpose.encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _data_key(key_id: str, public: PublicKey) -> tuple[bytes, AESGCM]:
    """This process's current data key for a public key: reused for a while, then replaced."""
    now = time.monotonic()
    current = _writing.get(key_id)
    if current is None or current[0] <= now:
        data_key = os.urandom(32)
        wrapped = SealedBox(public).encrypt(data_key)
        header = bytes([VERSION, len(key_id)]) + key_id.encode() + wrapped
        current = (now + current_app.config["DATA_KEY_SECONDS"], AESGCM(data_key), header)
        _writing[key_id] = current
    return current[2], current[1]


def _split(sealed: bytes) -> tuple[bytes, bytes, bytes]:
    """Header, nonce and ciphertext of a sealed value."""
    if len(sealed) < 2 or sealed[0] != VERSION:
        raise CannotOpen("not a sealed value of a known version")
    end = 2 + sealed[1] + WRAPPED_SIZE
    return sealed[:end], sealed[end : end + NONCE_SIZE], sealed[end + NONCE_SIZE :]


def _cipher_for(header: bytes) -> AESGCM:
    """The data key of a header, unwrapped once per process."""
    wrapped = header[2 + header[1] :]
    cipher = _opened.get(wrapped)
    if cipher is None:
        key_id = header[2 : 2 + header[1]].decode()
        private = keys.private_key(key_id)
        if private is None:
            raise CannotOpen(f"this process does not hold key {key_id}")
        try:
            cipher = AESGCM(SealedBox(private).decrypt(wrapped))
        except CryptoError:
            raise CannotOpen("the wrapped data key was altered") from None
        _opened[wrapped] = cipher
    return cipher


def forget() -> None:
    """Drop every data key this process holds (tests; after a rotation)."""
    _writing.clear()
    _opened.clear()
    _index_keys.clear()
