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


def log_in_with_code(client: Any, email: str, secret: str, next_path: str | None = None) -> Any:
    """Sign in with the password, then the current code of the authenticator with this secret."""
    log_in(client, email, next_path=next_path)
    return post_form(client, "/login/two-factor", code=code_at(secret))


def statements_of(app: Any, request: Callable[[], Any]) -> list[str]:
    """The SQL statements the app sent while the request ran (to compare the work of two answers)."""
    from sqlalchemy import event

    from campaign.extensions import db as database

    with app.app_context():
        engine = database.engine
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        request()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return statements
