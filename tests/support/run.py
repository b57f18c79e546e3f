"""This test run's own names and places: its id, database, Redis prefix and instance folder.

Importing this module sets the environment the app reads, so tests/conftest.py
imports it before anything imports the app: `worker` builds its app from the
environment, and the worker processes the tests start inherit it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import redis

RUN_ID = uuid.uuid4().hex[:10]
ROOT = Path(__file__).resolve().parent.parent.parent
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DATABASE_NAME = f"campaign_test_{RUN_ID}"
INSTANCE = Path(tempfile.mkdtemp(prefix=f"campaign-test-{RUN_ID}-"))

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


def forget_caches() -> None:
    """Forget what this run cached, in Redis and in this process, so ids can start again."""
    from campaign import cache
    from campaign.privacy import keys

    keys.forget()  # an organization's key of this test is gone with its rows
    cache.forget_local()
    client = redis.Redis.from_url(REDIS_URL)
    cached = list(client.scan_iter(match=os.environ["REDIS_KEY_PREFIX"] + "campaign:*"))
    if cached:
        client.delete(*cached)
    client.close()


# The folders whose tests start, stop and kill whole processes (workers, beats, servers) or drive
# a browser through whole stories, with deadlines of a few seconds; and their pytest-xdist group.
WHOLE_PROCESS_FOLDERS = ("faults", "e2e")
WHOLE_PROCESS_GROUP = "whole-processes"


def _runs_whole_processes(item: pytest.Item) -> bool:
    """Whether a test is one of the whole-process folders'."""
    return item.path.parent.name in WHOLE_PROCESS_FOLDERS


def whole_processes_first(items: list[pytest.Item]) -> None:
    """Put the whole-process tests in one pytest-xdist group, collected first.

    `make test` runs two pytest processes (`--dist loadgroup`): the group goes to one of them
    from the start, one test at a time, while the other takes the rest, so no two of these
    tests share the machine's cores at once and the two processes finish together.
    """
    for item in items:
        if _runs_whole_processes(item):
            item.add_marker(pytest.mark.xdist_group(WHOLE_PROCESS_GROUP))
    items.sort(key=lambda item: not _runs_whole_processes(item))  # stable: each part keeps its order


def check_whole_processes_grouped(items: list[pytest.Item]) -> None:
    """Fail the run when pytest-xdist did not group the whole-process tests (it marks a group
    in the test's id: pytest 9.2 ignores that, pytest-xdist#1386) rather than let them share the
    cores unnoticed."""
    ungrouped = [
        item.nodeid
        for item in items
        if _runs_whole_processes(item) and not item.nodeid.endswith(f"@{WHOLE_PROCESS_GROUP}")
    ]
    if ungrouped:
        message = (
            f"pytest-xdist did not group {len(ungrouped)} tests of whole processes, e.g. {ungrouped[0]}:"
            " see pytest-xdist#1386 and the pytest pin in pyproject.toml"
        )
        # Raised in an xdist worker, the error itself reaches the run only as xdist's own failure.
        print(message, file=sys.stderr, flush=True)
        raise pytest.UsageError(message)
