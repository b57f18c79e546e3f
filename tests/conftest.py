"""Fixtures: a PostgreSQL database and a Redis key prefix of this run's own, an
in-process SMTP server, a real Celery worker, factories for campaigns, and the
signed-in people several folders share (the builder's team, API token users)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from mailbox import Maildir
from typing import Any

import psycopg
import pytest
import redis
from sqlalchemy.exc import OperationalError

# Imported before anything that may import the app: it sets the environment the app reads.
from tests.support.run import (
    DATABASE_NAME,
    INSTANCE,
    POSTGRES_ADMIN_URL,
    REDIS_URL,
    check_whole_processes_grouped,
    forget_caches,
    whole_processes_first,
)

# isort: split
from tests.support.accounts import API_PASSWORD
from tests.support.builder import Person, Team
from tests.support.forms import csrf_token
from tests.support.migrations import KINDS, empty_database
from tests.support.people import signed_in
from tests.support.smtp import SmtpCapture
from tests.support.workers import free_port, start_celery

# The browser and site fixtures of the page tests.
pytest_plugins = ["tests.support.browser"]


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist's loadgroup (`make test`), the tests of whole processes go first, to one
    process (xdist's worker processes, which collect, see `loadgroup` set and `dist` as "no")."""
    if getattr(config.option, "loadgroup", False):
        whole_processes_first(items)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Under loadgroup, check that pytest-xdist did group them."""
    if getattr(session.config.option, "loadgroup", False):
        check_whole_processes_grouped(session.items)


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
def bounce_box(tmp_path: Any, observer: Any, monkeypatch: pytest.MonkeyPatch) -> Maildir:
    """The bounce maildir, read by this test's app (as BOUNCE_MAILDIR) while the test runs."""
    folder = tmp_path / "bounces"
    box = Maildir(folder, create=True)
    monkeypatch.setitem(observer.config, "BOUNCE_MAILDIR", str(folder))
    return box


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


@pytest.fixture
def team(app: Any, db: Any) -> Team:
    """Sign in one person of each role; each organizer runs an organization of their own."""
    from campaign.accounts.models import Role
    from campaign.accounts.organizations import create_organization

    # Owners sign in with two-factor, and their changes to approved campaigns ask for it.
    organizer = Person(*signed_in(app, db, "ani@example.org", Role.ORGANIZER))
    other = Person(*signed_in(app, db, "mallory@example.org", Role.ORGANIZER))
    staff = Person(*signed_in(app, db, "staff@example.org", Role.STAFF))
    admin = Person(*signed_in(app, db, "admin@example.org", Role.ADMIN))
    organization = create_organization("Friends of Artsakh", organizer.user)
    other_organization = create_organization("Another Group", other.user)
    db.session.commit()
    return Team(organizer, other, staff, admin, app.test_client(), organization, other_organization)


@pytest.fixture
def api_user(db: Any) -> Callable[..., tuple[Any, dict[str, str]]]:
    """A user of the given role (in a new organization if given a name, which lets its members
    export when told so) and the headers of their token."""
    from campaign.accounts.models import Role
    from campaign.accounts.organizations import create_organization
    from campaign.accounts.service import create_user
    from campaign.api.tokens import create_token

    def make(
        email: str,
        role: Role = Role.ORGANIZER,
        organization: str | None = None,
        allows_exports: bool = False,
    ) -> tuple[Any, dict]:
        user = create_user(email, API_PASSWORD, role)
        db.session.flush()
        org = create_organization(organization, user) if organization else None
        if org is not None:
            org.allows_member_exports = allows_exports
        _token, secret = create_token(user, "tests", actor="cli:tests")
        db.session.commit()
        return (org or user), {"OSDI-API-Token": secret}

    return make


@pytest.fixture(params=KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[str]:
    """An empty database of each kind, of the test's own: a migration's test builds it from the first
    revision."""
    with empty_database(request.param, tmp_path, request.module.__name__.rsplit(".", 1)[-1]) as url:
        yield url
