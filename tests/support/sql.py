"""The SQL the app sends, read from the engine's events (to compare the work of two answers)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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
