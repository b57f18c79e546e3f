"""Real gunicorn and Celery worker processes, a supporter signing and confirming over HTTP:
no log they write holds the supporter's email, names or confirmation token."""

import json
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from tests.support.forms import csrf_token
from tests.support.waiting import wait_until
from tests.support.workers import free_port, process, start_celery

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
EMAIL = "zabel.yesayan.logtest@example.org"
GIVEN_NAME = "Zabel"
FAMILY_NAME = "Yesayan"


class Browser:
    """A cookie-keeping HTTP client that returns error answers instead of raising them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def open(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """GET (or POST the form to) a path; return the final status, URL and body."""
        data = urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=15) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.url, error.read().decode(errors="replace")


def is_up(base: str) -> bool:
    """Whether the web process answers its liveness check."""
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def start_gunicorn(env: dict[str, str], port: int, folder: Path) -> Iterator[str]:
    """Serve the app with the repository's gunicorn.conf.py, its access and error logs in files."""
    args = [
        GUNICORN,
        "-c",
        "gunicorn.conf.py",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--threads",
        "2",
        "--access-logfile",
        str(folder / "access.log"),
        "--error-logfile",
        str(folder / "error.log"),
        "campaign:create_app()",
    ]
    base = f"http://127.0.0.1:{port}"
    with process(args, env, folder / "app.log") as child:
        wait_until(lambda: child.poll() is not None or is_up(base), timeout=30)
        assert child.poll() is None, (folder / "app.log").read_text()
        yield base


def sign_and_confirm(browser: Browser, slug: str, mailbox) -> str:
    """Sign as a supporter would, confirm from the email; return the confirmation token."""
    status, _, page = browser.open(f"/campaigns/{slug}?" + urlencode({"email": EMAIL, "name": GIVEN_NAME}))
    assert status == 200
    form = {
        "csrf_token": csrf_token(page),
        "given_name": GIVEN_NAME,
        "family_name": FAMILY_NAME,
        "email": EMAIL,
        "country": "AM",
        "postal_code": "0010",
    }
    status, url, _ = browser.open(f"/campaigns/{slug}/sign", form)
    assert (status, url) == (200, f"{browser.base}/campaigns/{slug}/check-your-inbox")

    [message] = mailbox.wait_for(EMAIL, timeout=30)
    token = re.search(r"/confirm/([^\s\"<>/]+)", message.get_body(("plain",)).get_content()).group(1)
    status, _, page = browser.open(f"/confirm/{token}")
    assert status == 200
    status, url, _ = browser.open(f"/confirm/{token}", {"csrf_token": csrf_token(page)})
    # The thank-you page, with the signer's receipt in the public ledger (a random id, not personal).
    assert status == 200 and url.startswith(f"{browser.base}/campaigns/{slug}/thanks?receipt=")
    return token


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_log_holds_the_supporters_email_names_or_token(log_format, db, make_campaign, mailbox, tmp_path):
    make_campaign(slug=f"logs-{log_format}")
    port = free_port()
    env = {
        **os.environ,
        "LOG_FORMAT": log_format,
        "BASE_URL": f"http://127.0.0.1:{port}",
        # A broker prefix of its own: the confirmation goes to this test's worker, whose log we read.
        "REDIS_KEY_PREFIX": f"{os.environ['REDIS_KEY_PREFIX']}logs-{log_format}:",
    }
    with start_celery("worker", env, tmp_path / "worker.log"), start_gunicorn(env, port, tmp_path) as base:
        browser = Browser(base)
        token = sign_and_confirm(browser, f"logs-{log_format}", mailbox)
        # Personal links that fail still name their token in the request line.
        browser.open(f"/my/{token}")
        browser.open(f"/u/{token}?email={quote(EMAIL)}")
        wait_until(lambda: "succeeded" in (tmp_path / "worker.log").read_text(), timeout=15)

    names = ("access.log", "error.log", "app.log", "worker.log")
    logs = {name: (tmp_path / name).read_text(errors="replace") for name in names}
    for name, text in logs.items():
        for secret in (EMAIL, quote(EMAIL), GIVEN_NAME, FAMILY_NAME, token):
            assert secret.lower() not in text.lower(), f"{secret!r} is in {name}"

    for name in ("access.log", "error.log", "app.log"):
        assert "127.0.0.1 " not in logs[name], f"a client address is in {name}"
    if log_format == "json":
        for name in ("access.log", "error.log", "app.log"):
            for line in logs[name].splitlines():
                entry = json.loads(line)
                assert {"time", "level", "logger", "message"} <= entry.keys(), line
        access = "\n".join(json.loads(line)["message"] for line in logs["access.log"].splitlines())
    else:
        access = logs["access.log"]
    assert f'"POST /campaigns/logs-{log_format}/sign HTTP/1.1" 303' in access
    assert '"POST /confirm/[token] HTTP/1.1" 303' in access
    assert '"GET /u/[token] HTTP/1.1"' in access
