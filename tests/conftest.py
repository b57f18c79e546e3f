"""Fixtures: a PostgreSQL database and a Redis key prefix of this run's own, an
in-process SMTP server, a real Celery worker, and factories for campaigns."""

from __future__ import annotations

import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
from sqlalchemy.exc import OperationalError

RUN_ID = uuid.uuid4().hex[:10]
ROOT = Path(__file__).resolve().parent.parent
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASE_NAME = f"campaign_test_{RUN_ID}"
INSTANCE = Path(tempfile.mkdtemp(prefix=f"campaign-test-{RUN_ID}-"))

# Set before anything imports the app: `worker` builds its app from the
# environment, and the worker processes the tests start inherit it.
os.environ.update(
    {
        "DATABASE_URL": POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE_NAME,
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": f"campaign-test-{RUN_ID}:",
        "SECRET_KEY": f"test-secret-{RUN_ID}",
        "BASE_URL": "http://localhost",
        "INSTANCE_PATH": str(INSTANCE / "instance"),
        "MAIL_FROM": "Campaigns <campaigns@example.org>",
        "OUTBOX_SWEEP_GRACE_SECONDS": "0",
        # Tests read counts right after folding; one test turns this back on.
        "COUNT_LOCAL_SECONDS": "0",
        # Webhook tests post to a receiver on loopback (refused by default: SSRF).
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
    }
)
os.environ.pop("SMTP_URL", None)
# The command line speaks the process locale's language; the tests read English
# unless a test asks for another.
os.environ["LANG"] = "C.UTF-8"
for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
    os.environ.pop(variable, None)

from tests.support.smtp import SmtpCapture  # noqa: E402

# The browser and site fixtures of the page tests.
pytest_plugins = ["tests.support.browser"]
from tests.support.workers import free_port, start_celery  # noqa: E402


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpCapture]:
    """An SMTP server in this process that keeps what it receives."""
    server = SmtpCapture(port=free_port())
    server.start()
    os.environ["SMTP_URL"] = f"smtp://127.0.0.1:{server.port}"
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    """This run's own PostgreSQL database, dropped at the end."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    yield os.environ["DATABASE_URL"]
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE_NAME}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    """The shared Redis; this run's keys are removed at the end."""
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    keys = list(client.scan_iter(match=os.environ["REDIS_KEY_PREFIX"] + "*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="session")
def app(database: str, smtp_server: SmtpCapture, redis_client: redis.Redis) -> Iterator[Any]:
    """The app on this run's PostgreSQL, Redis prefix and SMTP server, migrated with Alembic."""
    from flask_migrate import upgrade

    from campaign import create_app
    from campaign.extensions import db as database
    from campaign.privacy.keys import init_keys

    application = create_app({"TESTING": True})
    with application.app_context():
        upgrade()
        # The embedded default's keys, in this run's instance folder: the
        # tests and the worker processes they start hold the private key.
        init_keys()
        database.session.commit()
    yield application


@pytest.fixture(scope="session")
def observer(app: Any) -> Any:
    """A second app on the same database, from which tests look at what requests did.

    Requests made while an app context of their own app is active would share
    that context (its `g`, its database session); with the observer's context
    active, every request gets a fresh one, as in production.
    """
    from campaign import create_app

    return create_app({"TESTING": True})


@pytest.fixture
def db(observer: Any) -> Iterator[Any]:
    """The database session in the observer's app context; every table emptied afterwards."""
    from campaign.extensions import db as database

    with observer.app_context():
        yield database
        database.session.rollback()
        tables = ", ".join(
            database.session.execute(
                database.text(
                    "SELECT tablename FROM pg_tables"
                    " WHERE schemaname = 'public'"
                    " AND tablename <> 'alembic_version'"
                )
            ).scalars()
        )
        # The platform's sealing key outlives each test (its private half is a
        # file the worker holds); TRUNCATE ... CASCADE would take it with organizations.
        platform_keys = database.session.execute(
            database.text("SELECT id, public_key, created_at FROM sealing_keys WHERE organization_id IS NULL")
        ).all()
        # The session's worker may still be finishing a task of this test: a
        # lock wait or deadlock there is retried rather than failing the next test.
        for attempt in range(5):
            try:
                database.session.execute(database.text("SET LOCAL lock_timeout = '5s'"))
                database.session.execute(database.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                for key_id, public_key, created_at in platform_keys:
                    database.session.execute(
                        database.text(
                            "INSERT INTO sealing_keys (id, public_key, created_at) VALUES (:id, :key, :at)"
                            " ON CONFLICT (id) DO NOTHING"
                        ),
                        {"id": key_id, "key": public_key, "at": created_at},
                    )
                database.session.commit()
                break
            except OperationalError:
                database.session.rollback()
                if attempt == 4:
                    raise
                time.sleep(0.5)
        forget_caches()


def forget_caches() -> None:
    """Forget what this run cached, in Redis and in this process, so ids can start again."""
    from campaign import cache
    from campaign.privacy import keys

    keys.forget()  # an organization's key of this test is gone with its rows
    cache.forget_local()
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=os.environ["REDIS_KEY_PREFIX"] + "campaign:*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(autouse=True)
def fresh_limits(request: pytest.FixtureRequest) -> Iterator[None]:
    """Forget the rate limiter's counts after each test that used the app, so tests do not add up."""
    yield
    if "app" in request.fixturenames:
        from campaign.extensions import limiter

        limiter.reset()


@pytest.fixture
def client(app: Any, db: Any) -> Any:
    """A browser-like test client."""
    return app.test_client()


@pytest.fixture(scope="session")
def celery_worker(app: Any, smtp_server: SmtpCapture) -> Iterator[None]:
    """A real Celery worker process on this run's broker prefix and database."""
    with start_celery("worker", dict(os.environ), INSTANCE / "worker.log"):
        yield


@pytest.fixture
def mailbox(smtp_server: SmtpCapture) -> SmtpCapture:
    """The SMTP server, emptied for this test."""
    smtp_server.reset()
    return smtp_server


@pytest.fixture
def make_campaign(db: Any) -> Callable[..., Any]:
    """Create a campaign (an open petition unless told otherwise)."""
    from campaign.campaigns.models import Campaign, CampaignKind, CampaignStatus

    def make(**values: Any) -> Campaign:
        slug = values.pop("slug", f"campaign-{uuid.uuid4().hex[:8]}")
        campaign = Campaign(
            slug=slug,
            kind=values.pop("kind", CampaignKind.PETITION),
            title=values.pop("title", f"Campaign {slug}"),
            summary=values.pop("summary", "A campaign for the tests."),
            body_markdown=values.pop("body_markdown", "Please **sign**."),
            goal=values.pop("goal", 100),
            status=values.pop("status", CampaignStatus.OPEN),
            **values,
        )
        db.session.add(campaign)
        db.session.commit()
        return campaign

    return make


@pytest.fixture
def sign(client: Any) -> Callable[..., Any]:
    """Submit the sign form as a browser would: open the page, post with its CSRF token."""

    def submit(slug: str, test_client: Any = None, **fields: Any) -> Any:
        browser = test_client or client
        page = browser.get(f"/campaigns/{slug}")
        assert page.status_code == 200, page.status_code
        form = {
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "given_name": "Anahit",
            "family_name": "Petrosyan",
            "email": "anahit@example.org",
            "country": "AM",
            "postal_code": "0010",
        }
        form.update(fields)
        return browser.post(f"/campaigns/{slug}/sign", data=form)

    return submit


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'type="hidden" name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until the predicate is truthy; fail after the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)
