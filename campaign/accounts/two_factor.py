"""Two-factor: TOTP codes that cannot be replayed, single-use recovery codes, the enrolment QR code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
import time

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy import delete, or_, update

from campaign import clock
from campaign.accounts.models import RecoveryCode, User
from campaign.extensions import db

ISSUER = "Campaigns"
STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_secret() -> str:
    """A fresh TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// link an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(text: str) -> str:
    """The text as a QR code, an SVG image in a data: URI (the CSP allows data: images)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step (now, or one either side for clock drift) whose code this is, if any."""
    digits = "".join(code.split())
    if len(digits) != 6 or not digits.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if at is None else at) // STEP_SECONDS)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), digits):
            return step
    return None


def spend_totp(user: User, code: str) -> bool:
    """Accept a code once: the step is recorded, and that step and older ones are refused afterwards."""
    if user.totp_secret is None:
        return False
    step = matching_step(user.totp_secret, code)
    if step is None:
        return False
    # A conditional UPDATE, so two requests racing with the same code cannot both win.
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if not getattr(result, "rowcount", 0):
        return False
    user.totp_last_step = step
    return True


def enable(user: User, secret: str, code: str) -> list[str] | None:
    """Switch two-factor on if the code proves the secret was saved; return new recovery codes."""
    step = matching_step(secret, code)
    if step is None:
        return None
    user.totp_secret = secret
    user.totp_enabled_at = clock.now()
    user.totp_last_step = step
    return replace_recovery_codes(user)


def disable(user: User) -> None:
    """Switch two-factor off and forget its secret and recovery codes."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def replace_recovery_codes(user: User) -> list[str]:
    """Make ten new recovery codes, forgetting the old ones; only their hashes are kept."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code)) for code in codes)
    db.session.flush()
    return codes


def spend_recovery_code(user: User, code: str) -> bool:
    """Accept a recovery code once."""
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def looks_like_recovery_code(code: str) -> bool:
    """Tell a recovery code (letters and dashes) from a six-digit TOTP code."""
    return any(ch.isalpha() for ch in code)


def _new_recovery_code() -> str:
    """Sixteen random characters (80 bits) in four groups: xxxx-xxxx-xxxx-xxxx."""
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _recovery_hash(code: str) -> str:
    """The stored form of a recovery code; case, spaces and dashes do not matter."""
    normalized = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normalized.encode()).hexdigest()
