"""Accounts: users, roles, organizations, login, two-factor and the decorators that guard routes."""

from __future__ import annotations

from flask import Flask, render_template
from flask_limiter import RateLimitExceeded

from campaign.extensions import limiter, login_manager

# The settings this package reads (ACCOUNT_*, LOGIN_*, PASSWORD_RESET_MAX_AGE, INVITATION_MAX_AGE)
# have their defaults in campaign/config.py's DEFAULTS, like every other setting.


def init_app(app: Flask) -> None:
    """Set up Flask-Login, the rate limiter, the two-factor gate and the kinds of mail about accounts."""
    from campaign.accounts import access
    from campaign.accounts import messages as messages  # registers the kinds of mail about accounts
    from campaign.accounts import models as models  # the tables, for Alembic and the app

    _init_limiter(app)
    login_manager.init_app(app)
    # Sessions are rows on the server, ended by deleting them (sessions.begin_session); Flask-Login's
    # IP-based "session protection" would only sign people out on a phone's network change.
    login_manager.session_protection = None
    app.before_request(access.two_factor_gate)
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    app.jinja_env.globals["signed_in_user"] = access.signed_in_user


def _init_limiter(app: Flask) -> None:
    """Keep rate limits in Redis when there is one (shared by every web process), else in memory."""
    redis_url = app.config.get("REDIS_URL")
    prefix = app.config.get("REDIS_KEY_PREFIX") or app.config.get("CELERY_KEY_PREFIX") or ""
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    if redis_url:
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"key_prefix": f"{prefix}LIMITS"})
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis away: count in memory for a while rather than refuse every sign-in.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)


def _too_many_requests(error: RateLimitExceeded) -> tuple[str, int]:
    """A clear page for too many attempts."""
    return render_template("accounts/too_many_requests.html"), 429
