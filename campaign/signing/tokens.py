"""Opaque, expiring tokens for the links in confirmation emails.

A token is the signature's id encrypted and authenticated (Fernet: AES and
HMAC under a key drawn from SECRET_KEY), with the moment it was made: it
tells nobody which signature, or how many came before it, and cannot be
altered. Links mailed before tokens were opaque (itsdangerous, the id in
clear) are still read until they expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from campaign import clock

_SALT = "confirm-signature"


@dataclass(frozen=True)
class TokenCheck:
    """What a token says: the signature it names, and whether it is still good."""

    signature_id: int | None
    is_expired: bool = False

    @property
    def is_valid(self) -> bool:
        """Tell whether the token may confirm."""
        return self.signature_id is not None and not self.is_expired


@cache
def _fernet(secret: str) -> Fernet:
    """The cipher of confirmation tokens, keyed by the app's secret (one key per purpose)."""
    key = hmac.new(secret.encode(), _SALT.encode(), hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _now() -> int:
    """The current time in whole seconds since the epoch, as tokens record it (clock.now() is naive UTC)."""
    return int(clock.now().replace(tzinfo=UTC).timestamp())


def confirmation_token(signature_id: int) -> str:
    """An opaque token naming the signature, for the link in its confirmation email."""
    token = _fernet(current_app.config["SECRET_KEY"]).encrypt_at_time(str(signature_id).encode(), _now())
    return token.decode("ascii").rstrip("=")


def check_confirmation_token(token: str) -> TokenCheck:
    """Read a token: valid, expired (still telling which signature), or forged."""
    if "." in token:
        return _check_legacy(token)
    fernet = _fernet(current_app.config["SECRET_KEY"])
    raw = (token + "=" * (-len(token) % 4)).encode("ascii", "replace")
    try:
        # Authenticated and decrypted whatever its age; the age is judged below.
        payload = fernet.decrypt(raw)
        made_at = fernet.extract_timestamp(raw)
    except InvalidToken:
        return TokenCheck(None)
    signature_id = _as_id(payload)
    # Expired: the signature was ours, only the link too old; we may still offer a new one.
    return TokenCheck(signature_id, is_expired=_now() - made_at > current_app.config["CONFIRM_TOKEN_MAX_AGE"])


def _as_id(payload: bytes) -> int | None:
    """Accept only the digits of a positive id."""
    return int(payload) if payload.isdigit() and len(payload) < 19 else None


def _check_legacy(token: str) -> TokenCheck:
    """Read a token of the kind mailed before tokens were opaque (the id signed, in clear)."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)
    max_age = current_app.config["CONFIRM_TOKEN_MAX_AGE"]
    try:
        return TokenCheck(_legacy_id(serializer.loads(token, max_age=max_age)))
    except SignatureExpired as expired:
        if not isinstance(expired.payload, bytes):
            return TokenCheck(None)
        try:
            payload = serializer.load_payload(expired.payload)
        except BadSignature:
            return TokenCheck(None)
        return TokenCheck(_legacy_id(payload), is_expired=True)
    except BadSignature:
        return TokenCheck(None)


def _legacy_id(payload: object) -> int | None:
    """Accept only an integer payload."""
    return payload if isinstance(payload, int) and not isinstance(payload, bool) else None
