"""Fixtures for accounts: users of each role (signing in and TOTP codes: tests/support/accounts.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.accounts import PASSWORD


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
