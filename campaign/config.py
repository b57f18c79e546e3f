"""Configuration: embedded defaults, overridden by the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Where the embedded default keeps its SQLite database, broker folder and mail.
DEFAULT_INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def database_uri(url: str) -> str:
    """Name psycopg 3 as the driver for a plain postgresql:// URL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(environ: os._Environ[str] | dict[str, str] | None = None) -> dict[str, Any]:
    """Build the configuration mapping from the environment and the embedded defaults."""
    env = os.environ if environ is None else environ
    tunables = {
        key: int(env[key])
        for key, value in DEFAULTS.items()
        if key in env and isinstance(value, int) and not isinstance(value, bool)
    }
    instance = Path(env.get("INSTANCE_PATH", str(DEFAULT_INSTANCE)))
    secret = env.get("SECRET_KEY") or _development_secret(instance)
    return {
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_uri(
            env.get("DATABASE_URL", f"sqlite:///{instance / 'campaign.sqlite'}")
        ),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "SMTP_URL": env.get("SMTP_URL") or None,
        # A PEM file of the CAs an SMTP server's certificate must chain to; unset: the system's.
        "SMTP_CA_FILE": env.get("SMTP_CA_FILE") or None,
        "MAIL_FROM": env.get("MAIL_FROM", "Campaigns <campaigns@localhost>"),
        "BASE_URL": env.get("BASE_URL", f"http://localhost:{env.get('PORT', '5000')}").rstrip("/"),
        "TRUSTED_PROXY_HOPS": int(env.get("TRUSTED_PROXY_HOPS", "0") or 0),
        # "text" lines on a laptop, "json" lines (one object each) in production.
        "LOG_FORMAT": env.get("LOG_FORMAT", "text"),
        "SESSION_COOKIE_SECURE": env.get("BASE_URL", "").startswith("https://"),
        # Every Redis key of ours (broker and cache) starts with it, so runs can share a server.
        "REDIS_KEY_PREFIX": env.get("REDIS_KEY_PREFIX", env.get("CELERY_KEY_PREFIX", "")),
        # Sealing (campaign/privacy): private keys only where personal data is read
        # (worker, API service); the web tier needs the blind-index key alone.
        "KEYS_PATH": env.get("KEYS_PATH") or None,
        "SEALING_PRIVATE_KEYS": env.get("SEALING_PRIVATE_KEYS") or None,
        "BLIND_INDEX_KEY": env.get("BLIND_INDEX_KEY") or None,
        **tunables,
    }


def _development_secret(instance: Path) -> str:
    """Return a random secret kept in the instance folder, for the embedded default only."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    secret = os.urandom(32).hex()
    path.write_text(secret)
    path.chmod(0o600)
    return secret


# Tunables: any whole number among them may be set by an environment variable
# of the same name (OUTBOX_SWEEP_SECONDS=5); tests may also pass a mapping to
# create_app().
DEFAULTS: dict[str, Any] = {
    # hide_parameters: a database error never writes a row's values into a log.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "MAX_CONTENT_LENGTH": 64 * 1024,  # a sign form is a few hundred bytes
    # How long a confirmation link works.
    "CONFIRM_TOKEN_MAX_AGE": 14 * 24 * 3600,
    # Version of the consent wording shown beside the checkboxes; stored with
    # every signature so we can tell what each person agreed to.
    "CONSENT_VERSION": "2026-11",  # campaign/signing/consents.py holds its words
    # How long the link to a supporter's own page (/my/) works.
    "MY_TOKEN_MAX_AGE": 30 * 24 * 3600,
    # Retention: client-address hashes, and signatures of a closed campaign (then anonymised).
    "CLIENT_HASH_DAYS": 30,
    "ANONYMISE_AFTER_DAYS": 182,
    # Email checks: no DNS lookups by default (tests, offline laptops).
    "EMAIL_CHECK_DELIVERABILITY": False,
    # Outbox delivery.
    "SMTP_TIMEOUT": 10,
    "OUTBOX_MAX_ATTEMPTS": 8,
    "OUTBOX_SWEEP_SECONDS": 15,
    "OUTBOX_SWEEP_GRACE_SECONDS": 10,
    "OUTBOX_STUCK_SECONDS": 300,
    # A pump claims this many due messages at a time and hands over to a new
    # pump after this many seconds, so one task never runs for long.
    "OUTBOX_PUMP_BATCH": 50,
    "OUTBOX_PUMP_SECONDS": 30,
    # After a failed publish, skip the broker for this long and let the sweep
    # hand the rows over: a request must not wait on a broker that is down.
    "PUBLISH_BACKOFF_SECONDS": 5,
    "COUNTS_FOLD_SECONDS": 2,
    # How long a process serves a campaign's public view before reading it again.
    "PUBLIC_VIEW_SECONDS": 5,
    # How long a process reuses a count it read (count.json, the pages).
    "COUNT_LOCAL_SECONDS": 1,
    # How long an export's file may be downloaded before it is deleted.
    "EXPORT_TTL_HOURS": 24,
    # Calls per token to the JSON API.
    "API_RATE_LIMIT": "600/minute",
    "API_TOKEN_DAYS": 90,  # how long an API token works before a new one is needed
    "COUNTS_FOLD_BATCH": 5000,
    # How long a process seals with one data key before drawing a new one
    # (and forgetting the old: after that it cannot open what it sealed).
    "DATA_KEY_SECONDS": 300,
}
