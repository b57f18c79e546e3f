"""The Ed25519 keys tree heads are signed with: public halves in the database, private halves in files.

A private key lives in `ledger-<id>.ed25519` under KEYS_PATH (the same folder as
the sealing keys, so backups take it along), readable by its owner only: only the
process that publishes heads (the worker running beat's task) needs it. The
newest key that is not retired signs; a rotation retires the others, whose
public halves stay listed so that the heads they signed can still be checked.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app
from sqlalchemy import select, update

from campaign import clock
from campaign.extensions import db
from campaign.ledger.models import LedgerKey
from campaign.privacy.keys import KeysMissing, keys_path, write_secret

SUFFIX = ".ed25519"


@dataclass(frozen=True)
class SigningKey:
    """The key heads are signed with now."""

    id: str
    private: Ed25519PrivateKey
    public_key: bytes


def key_file(key_id: str) -> Path:
    """Where the private half of this key is kept."""
    return keys_path() / f"ledger-{key_id}{SUFFIX}"


def current_key_row() -> LedgerKey | None:
    """The newest key that is not retired (its public half), if any."""
    return db.session.execute(
        select(LedgerKey)
        .where(LedgerKey.retired_at.is_(None))
        .order_by(LedgerKey.created_at.desc(), LedgerKey.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def all_keys() -> list[LedgerKey]:
    """Every key heads were ever signed with, oldest first."""
    return list(db.session.execute(select(LedgerKey).order_by(LedgerKey.created_at, LedgerKey.id)).scalars())


def create_key() -> str:
    """Make a new signing key (its private half written first); earlier keys stop signing."""
    key_id = "l" + secrets.token_hex(6)
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes_raw().hex()
    write_secret(key_file(key_id), raw)
    now = clock.now()
    db.session.execute(
        update(LedgerKey)
        .where(LedgerKey.retired_at.is_(None))
        .values(retired_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.add(LedgerKey(id=key_id, public_key=public_bytes(private), created_at=now))
    db.session.flush()
    return key_id


def public_bytes(private: Ed25519PrivateKey) -> bytes:
    """The 32 raw bytes of a key's public half."""
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def signing_key() -> SigningKey:
    """The key to sign with now; the embedded default makes one the first time.

    KeysMissing when a key exists but its private half is not in this process's
    keys folder, or when none exists and KEYS_PATH names a folder an operator
    manages (`campaign ledger keys` makes one there).
    """
    row = current_key_row()
    if row is None:
        if current_app.config.get("KEYS_PATH"):
            raise KeysMissing("No ledger signing key: run `campaign ledger keys`.")
        create_key()
        row = current_key_row()
        assert row is not None
    path = key_file(row.id)
    if not path.is_file():
        raise KeysMissing(f"The ledger signing key {row.id} is not in {path.parent}: give it to this worker.")
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(path.read_text().strip()))
    if public_bytes(private) != row.public_key:
        raise KeysMissing(f"The file {path} does not hold the private half of ledger key {row.id}.")
    return SigningKey(row.id, private, row.public_key)
