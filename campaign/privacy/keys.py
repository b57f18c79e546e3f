"""Sealing keys: public halves in the database, private halves only where personal data is read.

Every process can seal (the web tier writes a signature), because the public
keys are in the database. Only processes given the private keys can open what
was sealed: the worker that sends mail and builds exports, and the API service.
Private keys live in files under KEYS_PATH (one `<id>.key` each, readable by
their owner only) or in the SEALING_PRIVATE_KEYS variable (`id:hex,id:hex`);
never in the database, so a stolen dump opens nothing.

The blind-index key (keyed hashes that find a person again by email) is
needed wherever signatures are written: `index.key` under KEYS_PATH, or
BLIND_INDEX_KEY.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from flask import current_app
from flask_babel import gettext
from nacl.public import PrivateKey, PublicKey
from sqlalchemy import select, update

from campaign import clock
from campaign.extensions import db
from campaign.i18n import N_, command_line_language
from campaign.privacy.models import SealingKey

INDEX_FILE = "index.key"
# How long a process trusts the current public key it read (a rotation reaches every process in this time).
CURRENT_KEY_SECONDS = 60.0
# How often a process looks again in the keys folder for a key it was asked for and does not hold.
REREAD_SECONDS = 10.0

_current: dict[int | None, tuple[float, str, PublicKey]] = {}
_private: dict[str, PrivateKey] | None = None
_index: bytes | None = None
_reread_at = 0.0


class KeysMissing(RuntimeError):
    """The keys this process needs were never made or not given to it; the message says which.

    `campaign doctor` prints the message in its reader's language (from the catalogs, when
    it was marked with N_); anywhere else (a web request, a worker) it is only logged, in English.
    """

    def __str__(self) -> str:
        """The message: in the language of a `campaign` command's reader, else in English."""
        message = super().__str__()
        return gettext(message) if message and command_line_language() else message


def keys_path() -> Path:
    """Where this process keeps private keys: KEYS_PATH, or keys/ in the instance folder."""
    configured = current_app.config.get("KEYS_PATH")
    return Path(configured) if configured else Path(current_app.instance_path) / "keys"


def private_keys() -> dict[str, PrivateKey]:
    """The private keys this process holds, by key id (read once per process)."""
    global _private
    if _private is None:
        found: dict[str, PrivateKey] = {}
        folder = keys_path()
        if folder.is_dir():
            for path in sorted(folder.glob("*.key")):
                if path.name != INDEX_FILE:
                    found[path.stem] = PrivateKey(bytes.fromhex(path.read_text().strip()))
        for item in (current_app.config.get("SEALING_PRIVATE_KEYS") or "").split(","):
            key_id, _, value = item.strip().partition(":")
            if key_id and value:
                found[key_id] = PrivateKey(bytes.fromhex(value))
        _private = found
    return _private


def private_key(key_id: str) -> PrivateKey | None:
    """The private key of this id, if held; a key made since the folder was read is found within seconds.

    So `campaign keys rotate` needs no restart of the workers that share the keys folder.
    """
    global _private, _reread_at
    found = private_keys().get(key_id)
    if found is None and time.monotonic() >= _reread_at:
        _reread_at = time.monotonic() + REREAD_SECONDS
        _private = None
        found = private_keys().get(key_id)
    return found


def index_key() -> bytes:
    """The secret of the blind indexes; KeysMissing if this process was not given it."""
    global _index
    if _index is None:
        configured = current_app.config.get("BLIND_INDEX_KEY")
        path = keys_path() / INDEX_FILE
        if configured:
            _index = bytes.fromhex(configured)
        elif path.is_file():
            _index = bytes.fromhex(path.read_text().strip())
        else:
            raise KeysMissing(N_("No blind-index key: run `campaign keys init` or set BLIND_INDEX_KEY."))
    return _index


def current_key(organization_id: int | None) -> tuple[str, PublicKey]:
    """The key new data of this organization is sealed to: its own, else the platform's."""
    now = time.monotonic()
    cached = _current.get(organization_id)
    if cached is not None and cached[0] > now:
        return cached[1], cached[2]
    row = _newest(organization_id) if organization_id is not None else None
    row = row or _newest(None)
    if row is None:
        raise KeysMissing(N_("No sealing key: run `campaign keys init`."))
    found = (now + CURRENT_KEY_SECONDS, row.id, PublicKey(row.public_key))
    _current[organization_id] = found
    return found[1], found[2]


def _newest(organization_id: int | None) -> SealingKey | None:
    """The newest key of this scope that still seals."""
    scope = (
        SealingKey.organization_id.is_(None)
        if organization_id is None
        else SealingKey.organization_id == organization_id
    )
    return db.session.execute(
        select(SealingKey)
        .where(scope, SealingKey.retired_at.is_(None))
        .order_by(SealingKey.created_at.desc(), SealingKey.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def create_key(organization_id: int | None = None) -> str:
    """Make a key pair for the platform or an organization; earlier keys of that scope stop sealing.

    The private half is written under KEYS_PATH before the public half is
    committed, so nothing is ever sealed to a key nobody holds.
    """
    key_id = "k" + secrets.token_hex(6)
    private = PrivateKey.generate()
    write_secret(keys_path() / f"{key_id}.key", bytes(private).hex())
    scope = (
        SealingKey.organization_id.is_(None)
        if organization_id is None
        else SealingKey.organization_id == organization_id
    )
    now = clock.now()
    db.session.execute(
        update(SealingKey)
        .where(scope, SealingKey.retired_at.is_(None))
        .values(retired_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.add(
        SealingKey(
            id=key_id,
            organization_id=organization_id,
            public_key=bytes(private.public_key),
            created_at=now,
        )
    )
    db.session.flush()
    forget()
    return key_id


def init_keys() -> list[str]:
    """Make what is missing: the blind-index key and the platform's key pair; return what was made."""
    made = []
    index = keys_path() / INDEX_FILE
    if not current_app.config.get("BLIND_INDEX_KEY") and not index.exists():
        write_secret(index, secrets.token_hex(32))
        made.append(INDEX_FILE)
    if _newest(None) is None:
        made.append(create_key(None))
    forget()
    return made


def write_secret(path: Path, value: str) -> None:
    """Write a secret file readable by its owner only; never overwrite one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value + "\n")


def forget() -> None:
    """Read keys afresh next time (after a rotation, and between tests)."""
    global _private, _index, _reread_at
    _reread_at = 0.0
    _current.clear()
    _private = None
    _index = None
