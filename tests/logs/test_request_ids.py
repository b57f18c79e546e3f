"""Every request has an id, named in its answer's X-Request-ID; the tasks it publishes carry the id,
so an operator finds the worker's lines for a request by searching for the id the request had."""

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.forms import csrf_token
from tests.support.run import INSTANCE
from tests.support.waiting import wait_until
from tests.support.workers import start_celery

# What the app makes when the proxy sent no usable id: 16 hexadecimal digits.
MADE_HERE = re.compile(r"[0-9a-f]{16}")
EMAIL = "shushan.request-ids@example.org"


def test_a_request_without_an_id_is_answered_with_one_of_its_own(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/campaigns/no-such-campaign").headers["X-Request-ID"]
    assert MADE_HERE.fullmatch(first) and MADE_HERE.fullmatch(second)
    assert first != second


def test_the_proxys_id_is_kept_and_anything_but_a_plain_token_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc123"}).headers["X-Request-ID"] == "abc123"
    answered = client.get("/healthz", headers={"X-Request-ID": f"for {EMAIL}"}).headers["X-Request-ID"]
    assert MADE_HERE.fullmatch(answered)


@pytest.fixture
def json_worker(app: Any, mailbox: Any) -> Iterator[tuple[Any, Path]]:
    """A worker writing JSON lines, on a broker prefix of its own, and a site that publishes to it."""
    from campaign import create_app

    prefix = f"{os.environ['REDIS_KEY_PREFIX']}request-ids:"
    log = INSTANCE / "request-ids-worker.log"
    env = {**os.environ, "LOG_FORMAT": "json", "REDIS_KEY_PREFIX": prefix}
    with start_celery("worker", env, log):
        yield create_app({"TESTING": True, "REDIS_KEY_PREFIX": prefix}), log


def json_lines(log: Path) -> list[dict[str, Any]]:
    """The JSON lines of a log (Celery's start-up banner is plain text)."""
    lines = log.read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_the_workers_lines_for_a_requests_task_carry_the_requests_id(json_worker, make_campaign, mailbox):
    site, log = json_worker
    make_campaign(slug="request-ids")
    browser = site.test_client()
    page = browser.get("/campaigns/request-ids")
    form = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "given_name": "Shushan",
        "family_name": "Vardanyan",
        "email": EMAIL,
        "country": "AM",
        "postal_code": "0010",
    }
    answer = browser.post("/campaigns/request-ids/sign", data=form, headers={"X-Request-ID": "abc123"})
    assert answer.status_code == 303
    assert answer.headers["X-Request-ID"] == "abc123"

    mailbox.wait_for(EMAIL, timeout=30)

    def confirmation_task_lines() -> list[dict[str, Any]]:
        return [
            entry
            for entry in json_lines(log)
            if entry.get("request_id") == "abc123" and "mail.pump" in entry["message"]
        ]

    [finished] = wait_until(
        lambda: [entry for entry in confirmation_task_lines() if "succeeded" in entry["message"]], timeout=15
    )
    # The task's own id sits beside the request's, as the one in the line's text.
    assert finished["task_id"] and f"[{finished['task_id']}]" in finished["message"]
    text = log.read_text(errors="replace")
    for secret in (EMAIL, "Shushan", "Vardanyan"):
        assert secret not in text
