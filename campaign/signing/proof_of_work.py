"""Proof of work (ALTCHA): how a person behind a flooded address or range still counts.

While an address or range rule fires for a client (campaign/signing/floods.py),
the campaign page's script fetches a challenge, the browser solves it into
the form, and a valid solution, used once, passes those rules.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

import altcha
from flask import current_app

from campaign.extensions import limiter

# The form field the ALTCHA widget puts its solution in.
PROOF_FIELD = "altcha"
ALTCHA_ALGORITHM = "PBKDF2/SHA-256"
# A solution is a few hundred bytes; anything much longer is not one.
PROOF_MAX_LENGTH = 4096


def _altcha_secret(purpose: str) -> str:
    """A secret of its own for signing challenges (or their keys), derived from SECRET_KEY."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"altcha:{purpose}".encode(), hashlib.sha256).hexdigest()


def new_challenge() -> dict[str, Any]:
    """A signed ALTCHA challenge, as the widget reads it.

    The answer is drawn in advance (deterministic mode), so checking a
    solution is one HMAC rather than the work again.
    """
    config = current_app.config
    top = max(int(config["ALTCHA_MAX_COUNTER"]), 2)
    challenge = altcha.create_challenge(
        ALTCHA_ALGORITHM,
        max(int(config["ALTCHA_COST"]), 1),
        counter=top // 2 + secrets.randbelow(top - top // 2),
        expires_at=int(time.time()) + int(config["ALTCHA_EXPIRES_SECONDS"]),
        hmac_secret=_altcha_secret("challenge"),
        hmac_key_secret=_altcha_secret("key"),
    )
    answer: dict[str, Any] = challenge.to_dict()
    return answer


def proof_is_valid(payload: str) -> bool:
    """Whether a solution is valid, unexpired and used here for the first time (it is used up now)."""
    if not payload or len(payload) > PROOF_MAX_LENGTH:
        return False
    try:
        result = altcha.verify_solution(
            payload, _altcha_secret("challenge"), hmac_key_secret=_altcha_secret("key")
        )
        if not result.verified:
            return False
        parameters = altcha.Payload.from_base64(payload).challenge.parameters
    except (ValueError, TypeError, KeyError, AttributeError):
        # verify_solution reads most malformed payloads itself; these are the shapes it does not.
        return False
    ttl = max(int(parameters.expires_at or 0) - int(time.time()), 1)
    # Once only: the first request to count the challenge's nonce gets 1.
    return limiter.storage.incr(f"flood-proof/{parameters.nonce}", ttl) == 1
