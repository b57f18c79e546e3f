"""The embedded default: SQLite, its SQLite broker and mail kept on disk, with a real worker."""

import email
import email.policy
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from campaign.privacy import keys, vault
from tests.support.forms import csrf_token
from tests.support.waiting import wait_until
from tests.support.workers import start_celery

CAMPAIGN = str(Path(sys.executable).parent / "campaign")


@pytest.fixture
def embedded(tmp_path):
    """The environment of `make run` on a fresh machine: no DATABASE_URL, REDIS_URL or SMTP_URL."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SMTP_URL", "REDIS_KEY_PREFIX", "CELERY_KEY_PREFIX"}
    }
    env["INSTANCE_PATH"] = str(tmp_path / "instance")
    for command in (["db", "upgrade"], ["keys", "init"], ["seed-demo"]):
        subprocess.run([CAMPAIGN, *command], env=env, check=True, capture_output=True, timeout=60)
    # A process keeps the keys it read: this test's app reads the fresh instance's
    # keys, and the tests after it read their own again.
    keys.forget()
    vault.forget()
    yield env
    keys.forget()
    vault.forget()


def embedded_app(instance: Path):
    """The app as `make run` makes it on that instance: SQLite, no Redis, mail kept on disk."""
    from campaign import create_app

    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "REDIS_URL": None,
            "SMTP_URL": None,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'campaign.sqlite'}",
        }
    )


def test_a_fresh_laptop_runs_the_whole_path(embedded, tmp_path):
    instance = Path(embedded["INSTANCE_PATH"])
    app = embedded_app(instance)
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:")
    browser = app.test_client()
    home = browser.get("/").get_data(as_text=True)
    assert "/campaigns/recognize-artsakh" in home and "/campaigns/suspend-arms-exports" in home

    with start_celery("worker", embedded, tmp_path / "worker.log"):
        page = browser.get("/campaigns/recognize-artsakh")
        answer = browser.post(
            "/campaigns/recognize-artsakh/sign",
            data={
                "csrf_token": csrf_token(page.get_data(as_text=True)),
                "given_name": "Anahit",
                "family_name": "Petrosyan",
                "email": "anahit@example.org",
                "country": "AM",
            },
        )
        assert answer.status_code == 303

        kept = wait_until(lambda: list((instance / "mail").glob("*.eml")), timeout=20)
        message = email.message_from_bytes(kept[0].read_bytes(), policy=email.policy.default)
        assert message["To"] == "anahit@example.org"  # no name until the address confirms it
        mailbox = browser.get("/dev/mail", environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert "Please confirm your signature" in mailbox.get_data(as_text=True)
        assert browser.get("/dev/mail", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404

        link = re.search(r"http://localhost(?::\d+)?(/confirm/\S+)", message.get_content()).group(1)
        confirm_page = browser.get(link)
        browser.post(link, data={"csrf_token": csrf_token(confirm_page.get_data(as_text=True))})
        count = wait_until(
            lambda: (c := browser.get("/campaigns/recognize-artsakh/count.json").json)["count"] == 1 and c,
            timeout=20,
        )
    assert count["by_country"] == {"AM": 1}
    # The public ledger reads SQLite outside a transaction too.
    assert browser.get("/campaigns/recognize-artsakh/ledger").status_code == 200
    assert browser.get("/campaigns/recognize-artsakh/ledger.json").status_code in (200, 404)


def test_the_reminder_and_the_lists_for_search_engines_work_on_sqlite(embedded):
    from datetime import timedelta

    from sqlalchemy import update

    from campaign import clock
    from campaign.extensions import db
    from campaign.signing import reminders
    from campaign.signing.models import Signature

    app = embedded_app(Path(embedded["INSTANCE_PATH"]))
    browser = app.test_client()
    page = browser.get("/campaigns/recognize-artsakh")
    form = {"csrf_token": csrf_token(page.get_data(as_text=True)), "given_name": "Anahit"}
    form |= {"family_name": "Petrosyan", "email": "anahit@example.org", "country": "AM"}
    assert browser.post("/campaigns/recognize-artsakh/sign", data=form).status_code == 303
    with app.test_request_context():
        db.session.execute(update(Signature).values(created_at=clock.now() - timedelta(hours=25)))
        db.session.commit()
        # One reminder, once (the query leaving out those reminded builds their key in SQLite's SQL).
        assert [reminders.remind_unconfirmed() for _ in range(2)] == [1, 0]
    assert browser.get("/ended").status_code == 200
    sitemap = browser.get("/sitemap.xml").get_data(as_text=True)
    assert "http://localhost/campaigns/recognize-artsakh" in sitemap


def test_seeding_twice_adds_nothing(embedded):
    result = subprocess.run(
        [CAMPAIGN, "seed-demo"], env=embedded, capture_output=True, text=True, timeout=60, check=True
    )
    assert "nothing seeded" in result.stdout
