"""The sign form's minimum fill time: a signed stamp of when the form was shown, compared when it comes back.

The stamp is the whole second the page was made in, signed with the app's
secret, so it is the same for every visitor within that second and the page
stays the same bytes for everyone while a shared cache keeps it. A cached
page carries the second it was made in, not the second it was served: its
reader only looks slower than they were, never faster, so the cache can
make a person pass the check but never fail it.

A form sent back sooner than SIGN_MIN_FILL_SECONDS after its stamp (or with
a stamp we did not sign) is filled in faster than people type: the
signature is flagged `too-fast` in Signature.flood_rule for staff to review,
and is otherwise handled as any other (browser autofill and scripted test
browsers are fast too, and a person must never lose their signature to a
stopwatch). A form without the field did not come from our page (a script
posting directly): the flood rules, the honeypot and the confirmation email
stand for it.
"""

from __future__ import annotations

import functools
import time

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

# The hidden field the stamp travels in (campaigns/_sign_fields.html).
FIELD = "shown_at"
# Signature.flood_rule of a signature whose form came back faster than people type.
TOO_FAST_FLAG = "too-fast"
_SALT = "sign-form-shown-at"


def _serializer() -> URLSafeSerializer:
    """The signer of stamps, keyed by the app's secret."""
    return _serializer_for(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=4)
def _serializer_for(secret: str) -> URLSafeSerializer:
    """The signer for one secret, made once."""
    return URLSafeSerializer(secret, salt=_SALT)


def stamp() -> str:
    """The signed stamp of this second: the same for every page made within it (signed once)."""
    return _signed(current_app.config["SECRET_KEY"], int(time.time()))


@functools.lru_cache(maxsize=4)
def _signed(secret: str, second: int) -> str:
    """The stamp of one second under one secret."""
    return str(_serializer_for(secret).dumps(second))


def is_too_fast(value: str | None) -> bool:
    """Tell whether a form that carried this stamp came back sooner than people fill it in.

    No stamp at all says nothing (see the module's docstring); a stamp we did
    not sign counts as too fast.
    """
    if value is None:
        return False
    try:
        shown_at = _serializer().loads(value)
    except BadSignature:
        return True
    if not isinstance(shown_at, int):
        return True
    return time.time() - shown_at < float(current_app.config["SIGN_MIN_FILL_SECONDS"])
