"""Fixtures for accounts: users of each role, signing in as a browser does, TOTP codes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pyotp
import pytest

from tests.conftest import csrf_token

PASSWORD = "violet harbor lantern 42"


@pytest.fixture
def make_user(db: Any) -> Callable[..., Any]:
    """Create a user (an organizer unless told otherwise), optionally with two-factor on."""
    from campaign import clock
    from campaign.accounts import service
    from campaign.accounts.models import Role

    def make(
        email: str = "organizer@example.org",
        role: Role = Role.ORGANIZER,
        password: str = PASSWORD,
        totp_secret: str | None = None,
    ) -> Any:
        user = service.create_user(email, password, role, email.partition("@")[0].title())
        if totp_secret:
            user.totp_secret = totp_secret
            user.totp_enabled_at = clock.now()
        db.session.commit()
        return user

    return make


def log_in(client: Any, email: str, password: str = PASSWORD, next_path: str | None = None) -> Any:
    """Open the login page and submit it, as a browser would."""
    query = f"?next={quote(next_path, safe='')}" if next_path is not None else ""
    page = client.get(f"/login{query}")
    form = {"csrf_token": csrf_token(page.get_data(as_text=True)), "email": email, "password": password}
    if next_path is not None:
        form["next"] = next_path
    return client.post("/login", data=form)


def post_form(client: Any, page_path: str, action: str | None = None, **fields: Any) -> Any:
    """Open a page and post to its form (or to `action`) with the page's CSRF token."""
    page = client.get(page_path)
    token = csrf_token(page.get_data(as_text=True))
    return client.post(action or page_path, data={"csrf_token": token, **fields})


def code_at(secret: str, offset_steps: int = 0) -> str:
    """The TOTP code of the current 30-second step, or of one before or after it."""
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)
