"""Signing in as a browser does: the tests' password, the login form, TOTP codes, an aged second factor."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import pyotp

from tests.support.forms import csrf_token, post_form

PASSWORD = "violet harbor lantern 42"
# The API tests' users sign in with a token, never with this.
API_PASSWORD = "correct horse battery staple 2026"


def log_in(client: Any, email: str, password: str = PASSWORD, next_path: str | None = None) -> Any:
    """Open the login page and submit it, as a browser would."""
    query = f"?next={quote(next_path, safe='')}" if next_path is not None else ""
    page = client.get(f"/login{query}")
    form = {"csrf_token": csrf_token(page.get_data(as_text=True)), "email": email, "password": password}
    if next_path is not None:
        form["next"] = next_path
    return client.post("/login", data=form)


def code_at(secret: str, offset_steps: int = 0) -> str:
    """The TOTP code of the current 30-second step, or of one before or after it."""
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def log_in_with_code(client: Any, email: str, secret: str, next_path: str | None = None) -> Any:
    """Sign in with the password, then the current code of the authenticator with this secret."""
    log_in(client, email, next_path=next_path)
    return post_form(client, "/login/two-factor", code=code_at(secret))


def age_second_factor(db: Any, email: str, seconds: int) -> None:
    """Move back, in the server's session rows, when the user last gave their second factor."""
    from datetime import timedelta

    from sqlalchemy import update

    from campaign.accounts.models import AccountSession, User

    user_id = db.session.execute(db.select(User.id).where(User.email == email)).scalar_one()
    db.session.execute(
        update(AccountSession)
        .where(AccountSession.user_id == user_id, AccountSession.two_factor_at.is_not(None))
        .values(two_factor_at=AccountSession.two_factor_at - timedelta(seconds=seconds))
    )
    db.session.commit()
