"""Gunicorn's lines as the repository's gunicorn.conf.py sets them up: no client, query or token."""

import json
import logging
import runpy
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from gunicorn.config import Config

from campaign import logs
from tests.support.run import ROOT

EMAIL = "zabel.yesayan.logtest@example.org"
TOKEN = "eyJzIjo0Mn0.Zk3x9Q.secretPart_-42"
CLIENT = "203.0.113.7"
FORWARDED_FOR = "198.51.100.9"
SESSION = "session-cookie-secret"
SECRETS = (EMAIL, quote(EMAIL, safe=""), TOKEN, CLIENT, FORWARDED_FOR, SESSION, "Zabel")
SETTINGS = runpy.run_path(str(ROOT / "gunicorn.conf.py"))


@pytest.fixture
def gunicorn_logger(tmp_path, monkeypatch):
    """Build gunicorn's logger from the repository's settings, writing to files; returns a factory."""
    monkeypatch.delenv("LOG_FORMAT", raising=False)

    def build(access_log_format=SETTINGS["access_log_format"]):
        config = Config()
        for name, value in SETTINGS.items():
            if name in config.settings:
                config.set(name, value)
        config.set("access_log_format", access_log_format)
        config.set("accesslog", str(tmp_path / "access.log"))
        config.set("errorlog", str(tmp_path / "error.log"))
        return config.logger_class(config)

    yield build
    for name in ("gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()


def confirm_post(logger):
    """Log the access line of a POST to a confirmation link, with everything a client could send."""
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/confirm/{TOKEN}?email={quote(EMAIL)}&given_name=Zabel",
        "PATH_INFO": f"/confirm/{TOKEN}",
        "QUERY_STRING": f"email={quote(EMAIL)}&given_name=Zabel",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": CLIENT,
        "HTTP_REFERER": f"http://localhost/confirm/{TOKEN}",
        "HTTP_X_FORWARDED_FOR": FORWARDED_FOR,
        "HTTP_COOKIE": f"session={SESSION}",
        "HTTP_X_REQUEST_ID": "req-77",
    }
    request = SimpleNamespace(
        headers=[
            ("REFERER", environ["HTTP_REFERER"]),
            ("X-FORWARDED-FOR", FORWARDED_FOR),
            ("COOKIE", environ["HTTP_COOKIE"]),
            ("USER-AGENT", "Mozilla/5.0"),
            ("X-REQUEST-ID", "req-77"),
        ]
    )
    response = SimpleNamespace(
        status="303 SEE OTHER",
        headers=[("Location", "/campaigns/recognize/thanks"), ("Set-Cookie", f"session={SESSION}")],
        sent=0,
    )
    logger.access(response, request, environ, timedelta(milliseconds=12))


def read(logger, tmp_path, name="access.log"):
    """What gunicorn wrote to one of its files."""
    for handler in logger.access_log.handlers + logger.error_log.handlers:
        handler.flush()
    return (tmp_path / name).read_text()


def test_the_settings_use_our_logger_and_name_no_client_or_query():
    assert SETTINGS["logger_class"] == "campaign.logs.GunicornLogger"
    for atom in ("%(h)s", "%(q)s", "%(f)s", "{remote_addr}e", "{x-forwarded-for}i"):
        assert atom not in SETTINGS["access_log_format"]


def test_an_access_line_shows_the_request_with_its_token_masked(gunicorn_logger, tmp_path):
    logger = gunicorn_logger()
    confirm_post(logger)
    line = read(logger, tmp_path)
    assert line.count("\n") == 1
    assert line.rstrip().endswith('INFO [gunicorn.access] "POST /confirm/[token] HTTP/1.1" 303 0 12ms')
    for secret in SECRETS:
        assert secret not in line


def test_atoms_that_would_name_the_client_are_empty_whatever_the_format(gunicorn_logger, tmp_path):
    hostile_format = (
        "%(h)s %(u)s %(q)s %(f)s %(U)s %(r)s %({referer}i)s %({x-forwarded-for}i)s %({cookie}i)s"
        " %({set-cookie}o)s %({remote_addr}e)s %({query_string}e)s %({raw_uri}e)s %({user-agent}i)s"
    )
    logger = gunicorn_logger(hostile_format)
    confirm_post(logger)
    line = read(logger, tmp_path)
    for secret in SECRETS:
        assert secret not in line
    assert "/confirm/[token] POST /confirm/[token] HTTP/1.1" in line
    assert "Mozilla/5.0" in line


def test_access_lines_in_json_carry_the_request_id(gunicorn_logger, tmp_path, monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "json")
    logger = gunicorn_logger()
    confirm_post(logger)
    entry = json.loads(read(logger, tmp_path))
    assert entry["logger"] == "gunicorn.access"
    assert entry["message"] == '"POST /confirm/[token] HTTP/1.1" 303 0 12ms'
    assert entry["request_id"] == "req-77"


def test_gunicorns_own_lines_go_through_the_filter(gunicorn_logger, tmp_path):
    logger = gunicorn_logger()
    logger.warning(f"Invalid request from ip={CLIENT}: Invalid header")
    logger.exception("Error handling request %s", f"/u/{TOKEN}?email={EMAIL}")
    text = read(logger, tmp_path, "error.log")
    assert "Invalid request from ip=-: Invalid header" in text
    assert "Error handling request /u/[token]?email=[email]" in text
    for secret in SECRETS:
        assert secret not in text


def test_the_scrubbed_path_drops_the_query_string():
    assert logs.scrub_path(f"/my/{TOKEN}?lang=hy&email={EMAIL}") == "/my/[token]"
