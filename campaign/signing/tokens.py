"""Signed, expiring tokens for the links in confirmation emails."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

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


def _serializer() -> URLSafeTimedSerializer:
    """The serializer keyed by the app's secret."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def confirmation_token(signature_id: int) -> str:
    """A token naming the signature, for the link in its confirmation email."""
    return _serializer().dumps(signature_id)


def check_confirmation_token(token: str) -> TokenCheck:
    """Read a token: valid, expired (still telling which signature), or forged."""
    serializer = _serializer()
    max_age = current_app.config["CONFIRM_TOKEN_MAX_AGE"]
    try:
        return TokenCheck(_as_id(serializer.loads(token, max_age=max_age)))
    except SignatureExpired as expired:
        # The signature was ours, only too old: we may still offer a new link.
        if not isinstance(expired.payload, bytes):
            return TokenCheck(None)
        try:
            payload = serializer.load_payload(expired.payload)
        except BadSignature:
            return TokenCheck(None)
        return TokenCheck(_as_id(payload), is_expired=True)
    except BadSignature:
        return TokenCheck(None)


def _as_id(payload: object) -> int | None:
    """Accept only an integer payload."""
    return payload if isinstance(payload, int) and not isinstance(payload, bool) else None
