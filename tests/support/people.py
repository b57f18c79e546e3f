"""Signed-in browsers for the page tests: a new user of a role, through the real sign-in pages."""

from __future__ import annotations

from typing import Any

import pyotp

from tests.support.accounts import PASSWORD, code_at, log_in
from tests.support.forms import post_form


def signed_in(app: Any, db: Any, email: str, role: Any, *, two_factor: bool = True) -> tuple[Any, Any]:
    """A browser signed in as a new user of this role (with two-factor given, when it is on)."""
    from campaign import clock
    from campaign.accounts.service import create_user

    secret = pyotp.random_base32()
    user = create_user(email, PASSWORD, role)
    if two_factor:
        user.totp_secret, user.totp_enabled_at = secret, clock.now()
    db.session.commit()
    browser = app.test_client()
    log_in(browser, email)
    if two_factor:
        post_form(browser, "/login/two-factor", code=code_at(secret))
    return browser, user
