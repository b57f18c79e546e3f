"""Receipts: the public id of a signature's events in the ledger, computed, never stored.

A receipt is the signature's (campaign id, signature id) encrypted as one
AES block under a key derived from the blind-index secret, in URL-safe
base64: 22 characters that look random to anyone without the key, the same
every time they are asked for, and opened again by the site alone. Nothing is
written to make one (the thank-you page and the fold compute it), and a
receipt names its signature by being opened; a forged one opens to another
campaign and is refused.

Receipts made before (random, stored in ledger_receipts) stay what they were:
a signature that has one keeps naming it in its later events.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import sys
from array import array
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from flask import current_app
from sqlalchemy import func, select

from campaign.extensions import db
from campaign.ledger.models import LedgerReceipt
from campaign.privacy import keys

# A receipt is 22 URL-safe characters; anything much longer is not one.
MAX_LENGTH = 64
_BLOCK = struct.Struct(">QQ")
_URL_SAFE = bytes.maketrans(b"+/", b"-_")
_ciphers: dict[bytes, Cipher[modes.ECB]] = {}


def _cipher() -> Cipher[modes.ECB]:
    """AES under the receipts' key, derived from the blind-index secret (kept as long as receipts are)."""
    secret = keys.index_key()
    found = _ciphers.get(secret)
    if found is None:
        key = hmac.new(secret, b"ledger receipts", hashlib.sha256).digest()[:16]
        # One block per receipt, each block a different (campaign, signature): a pseudorandom
        # permutation of the pair, which is what ECB on a single unique block is.
        found = _ciphers[secret] = Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305
    return found


def made(campaign_id: int, signature_ids: Sequence[int]) -> list[str]:
    """The computed receipts of these signatures of one campaign, in order (one cipher call)."""
    return [encoded.decode() for encoded in made_ascii(campaign_id, signature_ids)]


def made_ascii(campaign_id: int, signature_ids: Sequence[int]) -> list[bytes]:
    """The computed receipts as ASCII bytes, as a leaf holds them (the fold makes thousands at once)."""
    if not signature_ids:
        return []
    # The blocks (campaign, signature) as big-endian pairs, packed in a few calls, not one per signature.
    pairs = array("Q", bytes(16 * len(signature_ids)))
    pairs[0::2] = array("Q", [campaign_id]) * len(signature_ids)
    pairs[1::2] = array("Q", signature_ids)
    if sys.byteorder == "little":
        pairs.byteswap()
    encrypted = _cipher().encryptor().update(pairs.tobytes())
    encode = binascii.b2a_base64
    return [
        encode(encrypted[at : at + 16], newline=False)[:22].translate(_URL_SAFE)
        for at in range(0, len(encrypted), 16)
    ]


def opened(campaign_id: int, receipt: str) -> int | None:
    """The signature a computed receipt of this campaign names; None if it is not one."""
    if len(receipt) != 22:
        return None
    try:
        block = base64.urlsafe_b64decode(receipt + "==")
    except (binascii.Error, ValueError):
        return None
    if len(block) != 16:
        return None
    found_campaign, signature_id = _BLOCK.unpack(_cipher().decryptor().update(block))
    return signature_id if found_campaign == campaign_id else None


def signature_of(campaign_id: int, receipt: str | None) -> int | None:
    """The signature a receipt of this campaign names (computed, or stored before); None if none."""
    if not receipt or len(receipt) > MAX_LENGTH:
        return None
    signature_id = opened(campaign_id, receipt)
    if signature_id is not None:
        return signature_id
    stored: int | None = db.session.execute(
        select(LedgerReceipt.signature_id).where(
            LedgerReceipt.campaign_id == campaign_id, LedgerReceipt.receipt == receipt
        )
    ).scalar()
    return stored


def receipts_for(campaign_id: int, signature_ids: Sequence[int]) -> dict[int, str]:
    """The receipts of these signatures of one campaign: the stored one where a signature has it."""
    receipts = dict(zip(signature_ids, made(campaign_id, signature_ids), strict=True))
    receipts.update(stored_receipts(signature_ids))
    return receipts


def receipt_for(signature_id: int) -> str:
    """The receipt of one signature."""
    from campaign.signing.models import Signature

    campaign_id = db.session.execute(
        select(Signature.campaign_id).where(Signature.id == signature_id)
    ).scalar_one()
    return receipts_for(int(campaign_id), [signature_id])[signature_id]


def stored_receipts(signature_ids: Sequence[int]) -> dict[int, str]:
    """The receipts stored before receipts were computed, for those of these signatures that have one.

    Only signatures older than the newest stored receipt can have one: the
    rest (every signature on a deployment that began with computed receipts)
    costs no read beyond that one.
    """
    newest = _newest_stored()
    older = sorted(signature_id for signature_id in signature_ids if signature_id <= newest)
    if not older:
        return {}
    found: dict[int, str] = {}
    for start in range(0, len(older), 10_000):
        rows = db.session.execute(
            select(LedgerReceipt.signature_id, LedgerReceipt.receipt).where(
                LedgerReceipt.signature_id.in_(older[start : start + 10_000])
            )
        ).all()
        found.update({signature_id: receipt for signature_id, receipt in rows})
    return found


def _newest_stored() -> int:
    """The highest signature id with a stored receipt (0: none), read once per app.

    Nothing writes stored receipts since receipts are computed (migration
    0029 kept those made before): every confirmation asked the same question.
    """
    extensions = current_app.extensions
    newest = extensions.get(_NEWEST_STORED)
    if newest is None:
        newest = extensions[_NEWEST_STORED] = int(
            db.session.execute(select(func.max(LedgerReceipt.signature_id))).scalar() or 0
        )
    return int(newest)


_NEWEST_STORED = "ledger_newest_stored_receipt"
