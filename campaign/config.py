"""Configuration: embedded defaults, overridden by the environment."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Where the embedded default keeps its SQLite database, broker folder and mail.
DEFAULT_INSTANCE = Path(__file__).resolve().parent.parent / "instance"


def database_uri(url: str) -> str:
    """Name psycopg 3 as the driver for a plain postgresql:// URL, and bound how long a connect waits."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    # An unreachable server (not one that refuses) fails a request in seconds,
    # answered 503, instead of holding it for the system's TCP timeout.
    if url.startswith("postgresql") and "connect_timeout=" not in url:
        url += ("&" if "?" in url else "?") + "connect_timeout=3"
    return url


def from_environment(environ: os._Environ[str] | dict[str, str] | None = None) -> dict[str, Any]:
    """Build the configuration mapping from the environment and the embedded defaults."""
    env = os.environ if environ is None else environ
    tunables = {
        key: int(env[key])
        for key, value in DEFAULTS.items()
        if key in env and isinstance(value, int) and not isinstance(value, bool)
    }
    # Text ones too: folders (unset by default: under the instance folder) and rate limits.
    texts = {
        key: env[key]
        for key, value in DEFAULTS.items()
        if env.get(key) and (isinstance(value, str) or key.endswith("_FOLDER"))
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
        # The Celery broker when it is not Redis: RabbitMQ (amqp://user:password@host:5672/vhost).
        # Unset: REDIS_URL's Redis, or without it the embedded SQLite file.
        "BROKER_URL": env.get("BROKER_URL") or None,
        "SMTP_URL": env.get("SMTP_URL") or None,
        # A PEM file of the CAs an SMTP server's certificate must chain to; unset: the system's.
        "SMTP_CA_FILE": env.get("SMTP_CA_FILE") or None,
        # Bounces that arrive later (campaign/mail/bounces.py): the maildir an MTA delivers the bounce
        # address to, read by the worker; each message then leaves with its own return path,
        # bounces+<token>@BOUNCE_DOMAIN (unset: MAIL_FROM's domain). Unset: off, MAIL_FROM is the sender.
        "BOUNCE_MAILDIR": env.get("BOUNCE_MAILDIR") or None,
        "BOUNCE_DOMAIN": env.get("BOUNCE_DOMAIN") or None,
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
        # Who may frame a campaign's widget (/campaigns/<slug>/embed): CSP frame-ancestors
        # sources, space-separated ("https://partner.example https://*.ngo.example"); "*" is anyone.
        "EMBED_FRAME_ANCESTORS": env.get("EMBED_FRAME_ANCESTORS", "*").strip() or "*",
        # Networks webhook endpoints may be in though not public ("127.0.0.1/32,::1/128"; the tests
        # allow loopback); plain http:// only to such a loopback address. Unset: public HTTPS only.
        "WEBHOOK_ALLOWED_NETWORKS": env.get("WEBHOOK_ALLOWED_NETWORKS", ""),
        **tunables,
        **texts,
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
# of the same name (OUTBOX_SWEEP_SECONDS=5), and so may the text ones and the
# folders (API_RATE_LIMIT="300/minute", EXPORT_FOLDER=/srv/exports); tests may
# also pass a mapping to create_app().
DEFAULTS: dict[str, Any] = {
    # hide_parameters: a database error never writes a row's values into a log. PostgreSQL's
    # connections are checked as they leave the pool when in doubt (campaign/database.py), SQLite's
    # are files.
    "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
    # PostgreSQL lets go of the sessions (and locks) of a client host that vanished after about
    # this long, instead of TCP's 15 minutes to hours (campaign/database.py); 0 leaves TCP's own.
    "DATABASE_DEAD_PEER_SECONDS": 15,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "MAX_CONTENT_LENGTH": 64 * 1024,  # a sign form is a few hundred bytes
    # A sign form sent back sooner than this after its page was made is flagged too-fast
    # (campaign/signing/fill_time.py).
    "SIGN_MIN_FILL_SECONDS": 3,
    # How long a confirmation link works.
    "CONFIRM_TOKEN_MAX_AGE": 14 * 24 * 3600,
    # Hours after signing that an unconfirmed signature gets its one reminder; 0 sends none
    # (campaign/signing/reminders.py says to whom).
    "CONFIRM_REMINDER_HOURS": 24,
    # Version of the consent wording shown beside the checkboxes; stored with
    # every signature so we can tell what each person agreed to.
    "CONSENT_VERSION": "2026-12",  # campaign/signing/consents.py holds its words
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
    # Messages a pump claims at once (one statement; its one claim lock covers them); each is still
    # sent and recorded on its own, so a killed worker leaves at most one sent but unrecorded.
    # (5 until the claim, its commit and the read of the claimed rows were a tenth of the pump's time.)
    "OUTBOX_CLAIM_BATCH": 20,
    # How often beat reads the bounce mailbox (BOUNCE_MAILDIR), and at most how many messages a run.
    "BOUNCE_READ_SECONDS": 60,
    "BOUNCE_READ_BATCH": 500,
    # Days a message of the bounce mailbox that could not be read stays in its .rejected folder (it
    # holds supporters' addresses in clear); 0: deleted at once, the log saying only that one came.
    "BOUNCE_SET_ASIDE_DAYS": 7,
    # After a failed publish, skip the broker for this long and let the sweep
    # hand the rows over: a request must not wait on a broker that is down.
    "PUBLISH_BACKOFF_SECONDS": 5,
    "COUNTS_FOLD_SECONDS": 2,
    # How often each campaign's public ledger gets a new signed head, when it changed (docs/LEDGER.md).
    "LEDGER_SECONDS": 600,
    # How long a process serves a campaign's public view before reading it again.
    "PUBLIC_VIEW_SECONDS": 5,
    # How long a process reuses a count it read (count.json, the pages).
    "COUNT_LOCAL_SECONDS": 1,
    # Reasons for signing on a campaign page: how many, and how long a process reuses the list it read.
    "PUBLIC_COMMENTS_SHOWN": 20,
    "PUBLIC_COMMENTS_SECONDS": 10,
    # Where export files wait to be downloaded; None: instance/exports (campaign/exports/files.py).
    "EXPORT_FOLDER": None,
    # How long an export's file may be downloaded before it is deleted.
    "EXPORT_TTL_HOURS": 24,
    # An export still running this long after it was asked for is failed and its file removed
    # (its worker died; above the task time limit of campaign/taskqueue.py).
    "EXPORT_RUNNING_LIMIT_SECONDS": 3600,
    # How often beat looks for such exports.
    "EXPORT_SWEEP_SECONDS": 60,
    # Processes that open the rows of one big export at once (PostgreSQL; 1: the worker's own only),
    # each taking chunks of about this many rows.
    "EXPORT_PROCESSES": 2,
    "EXPORT_CHUNK_ROWS": 50_000,
    # Calls per token to the JSON API.
    "API_RATE_LIMIT": "600/minute",
    "API_TOKEN_DAYS": 90,  # how long an API token works before a new one is needed
    # Wrong API tokens one client address may send (a right token still passes).
    "API_BAD_TOKEN_RATE_LIMIT": "30 per 10 minutes",
    # Password reset and invitation requests per client address (limits' notation).
    "ACCOUNT_EMAIL_RATE_LIMIT": "10 per hour",
    # How long after the password step the second factor may be given.
    "LOGIN_TWO_FACTOR_WINDOW_SECONDS": 300,
    # How long a password reset link and an invitation to an organization work.
    "PASSWORD_RESET_MAX_AGE": 3600,
    "INVITATION_MAX_AGE": 7 * 24 * 3600,
    # Sign-in sessions (rows on the server) end after this many hours, however active.
    "ACCOUNT_SESSION_HOURS": 12,
    # Failed sign-ins (campaign/accounts/lockout.py): per account and client pair, this
    # many are free, then each doubles the wait (from 1 s) up to the ceiling; a client
    # that failed this many times across accounts gets no free ones; counts are
    # forgotten after a quiet window; the owner is emailed (once a day) after this many.
    "LOGIN_BACKOFF_FREE_FAILURES": 5,
    "LOGIN_BACKOFF_MAX_SECONDS": 900,
    "LOGIN_BACKOFF_CLIENT_FAILURES": 30,
    "LOGIN_FAILURE_WINDOW_HOURS": 24,
    "LOGIN_NOTICE_FAILURES": 10,
    "COUNTS_FOLD_BATCH": 5000,
    # How long a process seals with one data key before drawing a new one
    # (and forgetting the old: after that it cannot open what it sealed).
    "DATA_KEY_SECONDS": 300,
    # How recently an owner (or staff) must have given the second factor for a
    # change to a public campaign (outcome, text, update, closing) or an
    # approval of one to take effect; without it the change waits for them.
    "CHANGE_TWO_FACTOR_SECONDS": 900,
    # Campaign images (campaign/builder/images.py): the largest upload in bytes, the most pixels
    # one may have, the longest side kept; where they are kept (None: instance/campaign-images).
    "CAMPAIGN_IMAGE_MAX_BYTES": 5 * 1024 * 1024,
    "CAMPAIGN_IMAGE_MAX_PIXELS": 40_000_000,
    "CAMPAIGN_IMAGE_MAX_SIDE": 2000,
    "CAMPAIGN_IMAGE_FOLDER": None,
    # Where organizations' logos are kept; None: instance/organization-logos (campaign/accounts/logos.py).
    "ORGANIZATION_LOGO_FOLDER": None,
    # A letter's own words this alike (percent, estimated by keyed MinHash) to
    # another signer's count as a copy of them (campaign/targets/copies.py).
    "NEAR_COPY_PERCENT": 70,
    # Unsolicited mail to one address (confirmations, "already signed", /my/
    # links, invitations, password resets), across campaigns and kinds: at most
    # this many a day and this many an hour, then silence.
    "MAIL_PER_ADDRESS_PER_DAY": 5,
    "MAIL_PER_ADDRESS_PER_HOUR": 3,
    # Invitations one organization may send in a day.
    "INVITATIONS_PER_ORGANIZATION_PER_DAY": 20,
    # 1: addresses with non-ASCII characters before the @ are accepted and sent
    # with SMTPUTF8 (the SMTP server must offer it); 0: the forms refuse them.
    "SMTPUTF8_ENABLED": 1,
    # Flood rules on signing (campaign/signing/floods.py): new signatures allowed
    # per minute (burst) and per hour (sustained) before the rest are stored as
    # fraudulent, silently. 0 turns a window off. Sized so that a real surge of
    # real people does not trip them:
    # - one address: a person signs once per campaign, a household or small
    #   office a few at a time; 20 an hour from one address is a script (or a
    #   big NAT or carrier, whose people get the proof-of-work way through).
    "FLOOD_ADDRESS_PER_MINUTE": 5,
    "FLOOD_ADDRESS_PER_HOUR": 20,
    # - one /24 (IPv4) or /64 (IPv6): a campus or a carrier's address pool
    #   shared by many real people; the proof of work lets them through too.
    "FLOOD_RANGE_PER_MINUTE": 50,
    "FLOOD_RANGE_PER_HOUR": 500,
    # - one email domain, except the big webmail providers (where everyone
    #   is): an organisation whose staff all sign after one internal email.
    "FLOOD_DOMAIN_PER_MINUTE": 60,
    "FLOOD_DOMAIN_PER_HOUR": 600,
    # - one disposable-address domain: people at risk may use one to sign,
    #   but never hundreds an hour through the same service.
    "FLOOD_DISPOSABLE_PER_MINUTE": 3,
    "FLOOD_DISPOSABLE_PER_HOUR": 20,
    # - one campaign, all clients together: a circuit breaker far above the
    #   busiest surges of real people seen on national petition sites (about
    #   2,000 a minute and 100,000 an hour at the peak of the largest ever),
    #   since what it holds is stored as fraudulent, never counted: at 5,000 a
    #   minute the soak's 100 real signatures a second lost 8,727 of 60,000.
    "FLOOD_CAMPAIGN_PER_MINUTE": 20000,
    "FLOOD_CAMPAIGN_PER_HOUR": 600000,
    # The proof of work offered while an address or range rule fires (ALTCHA,
    # PBKDF2/SHA-256): iterations per attempt, and the highest counter a
    # browser may have to reach (it searches from 0; the answer is drawn from
    # the upper half). The defaults take a phone a few seconds.
    "ALTCHA_COST": 5000,
    "ALTCHA_MAX_COUNTER": 10000,
    # How long a challenge may be solved and used (once).
    "ALTCHA_EXPIRES_SECONDS": 1200,
    # The hourly trending report: signatures of the last hour from one address range
    # (/24 or /64) or with one email domain, on one campaign and on all of them, from
    # which staff are emailed; reports are deleted after TRENDING_REPORT_DAYS.
    "TRENDING_RANGE_THRESHOLD": 50,
    "TRENDING_RANGE_OVERALL_THRESHOLD": 200,
    "TRENDING_DOMAIN_THRESHOLD": 100,
    "TRENDING_DOMAIN_OVERALL_THRESHOLD": 500,
    "TRENDING_REPORT_DAYS": 30,
    # Signatures a bulk invalidation changes per transaction (progress is shown after each).
    "INVALIDATION_BATCH": 1000,
    # Webhooks (campaign/webhooks): seconds an endpoint has to answer; the first retry after a
    # failure (doubling, at most an hour); how long an event is retried; an endpoint is turned off
    # (its owners emailed) after this many failed attempts in a row or this many hours of failing;
    # days the delivery log keeps; how often beat sweeps; a pump's batch and time.
    "WEBHOOK_TIMEOUT_SECONDS": 5,
    "WEBHOOK_RETRY_SECONDS": 30,
    "WEBHOOK_RETRY_HOURS": 72,
    "WEBHOOK_DISABLE_AFTER_FAILURES": 1000,
    "WEBHOOK_DISABLE_AFTER_HOURS": 72,
    "WEBHOOK_LOG_DAYS": 30,
    "WEBHOOK_SWEEP_SECONDS": 15,
    "WEBHOOK_PUMP_BATCH": 5,
    "WEBHOOK_PUMP_SECONDS": 30,
    # Celery settings laid over those of campaign/taskqueue.py, for a deployment that needs another
    # (a mapping passed to create_app; the environment sets whole numbers only).
    "CELERY": {},
}
