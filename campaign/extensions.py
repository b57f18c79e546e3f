"""The Flask extensions, created once and initialised in create_app()."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, has_app_context, request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from limits.storage import Storage
from limits.strategies import RateLimiter
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from campaign.proxies import client_key

# Stable constraint names, so Alembic revisions name things the same way on
# SQLite and PostgreSQL and can drop them later.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AppLimiter(Limiter):
    """Flask-Limiter, with each app keeping its own storage.

    Flask-Limiter keeps the storage of the last app it was given on the one
    Limiter object; a second app in the process (as tests make, one of them
    pointed at a Redis that is away) would take over every other app's limits.
    Here each app uses its own, and outside any app context the first app's.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """A limiter that skips the blueprints and endpoints `skip` names before any bookkeeping."""
        super().__init__(*args, **kwargs)
        self._skipped: set[str] = set()
        self.request_filter(self._is_skipped)

    def skip(self, what: Blueprint | str) -> None:
        """No limit, and no bookkeeping, for a blueprint or an endpoint ("blueprint.view").

        Flask-Limiter's own exemption still resolves limits on every request (about 0.3 ms);
        a request filter answers before it. For the public reads a surge hammers (pages,
        count.json, the ledger) and the sign POST, whose limits are the flood rules.
        """
        if isinstance(what, Blueprint):
            self.exempt(what)
            self._skipped.add(what.name)
        else:
            self._skipped.add(what)

    def _is_skipped(self) -> bool:
        """Tell whether this request is one `skip` named."""
        return request.blueprint in self._skipped or request.endpoint in self._skipped

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        """Flask-Limiter's check of every request, not even begun for one `skip` named.

        The request filter alone still left its context and limit lists built for every
        request before it was asked: about a tenth of a campaign page view's CPU.
        """
        if self._is_skipped():
            return
        super()._check_request_limit(callable_name, in_middleware)

    def init_app(self, app: Flask) -> None:
        """Initialise as usual, then remember this app's storage and strategy."""
        first = (self._storage, self._limiter)
        super().init_app(app)
        app.extensions["limiter_backend"] = (self._storage, self._limiter)
        if first[0] is not None:
            self._storage, self._limiter = first

    @property
    def storage(self) -> Storage:
        """The storage of the current app."""
        backend = current_app.extensions.get("limiter_backend") if has_app_context() else None
        return backend[0] if backend else super().storage

    @property
    def limiter(self) -> RateLimiter:
        """The strategy of the current app (or the in-memory fallback while the storage is away)."""
        backend = current_app.extensions.get("limiter_backend") if has_app_context() else None
        if backend and not (self._storage_dead and self._in_memory_fallback_enabled):
            return backend[1]
        return super().limiter


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)
csrf = CSRFProtect()
login_manager = LoginManager()
# Storage (Redis or memory) and limits are configured in campaign.accounts.init_app.
limiter = AppLimiter(key_func=client_key)
