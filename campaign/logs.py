"""One logging setup for the web app, gunicorn and the Celery worker, with no personal data in a line.

Every record goes through `ScrubFilter`: email addresses, the secret tokens in
personal links and the row values a database error quotes are masked, and the
client's address is dropped from server access lines. Lines are plain text, or
one JSON object each when LOG_FORMAT=json (production).

Every request has an id: the proxy's X-Request-ID if it is a plain token,
else one made here; the response names it in X-Request-ID. The tasks a
request publishes carry it in a message header, so the worker's lines for
those tasks have the same `request_id` (and the task's own `task_id`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from logging.handlers import SysLogHandler, WatchedFileHandler
from typing import Any

from celery import current_task, signals
from flask import Flask, g, has_request_context, request
from flask.logging import default_handler
from flask.wrappers import Response
from gunicorn import glogging

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"

# An address as email-validator accepts it (a dot in the domain, a top-level
# domain that starts with a letter, so user:**@127.0.0.1 in a URL is kept),
# also when percent-encoded in a URL. The local part leaves out "/", "?", "="
# and "&", which are allowed there but almost never used, so a path or query
# string around an address is kept readable.
EMAIL = re.compile(r"[\w.!#$%'*+^`{|}~-]+(?:@|%40)[\w-]+(?:\.[\w-]+)*\.[^\W\d_][\w-]*")
# The routes whose first path segment after the prefix is a secret: confirmation,
# the supporter's own page, unsubscribe, the stop of all email, the reply question,
# password reset and invitations (deploy/nginx.conf masks the same). The prefix must
# start a path (or follow a host), so /campaigns/u/sign is left alone.
TOKEN_ROUTES = ("confirm", "my", "u", "stop-email", "letters/replied", "password/reset", "invitations")
TOKEN_IN_PATH = re.compile(
    r"(?P<before>^|[\s\"'(<=\[,;]|://[^/\s\"'<>]*)"
    rf"(?P<route>/(?:{'|'.join(re.escape(route) for route in TOKEN_ROUTES)})/)"
    r"[^/?#\s\"'<>]+"
)
# PostgreSQL quotes row values in its error details, which hide_parameters does not cover.
FAILING_ROW = re.compile(r"(Failing row contains ).*")
KEY_VALUES = re.compile(r"(Key \(.*?\)=)\(.*\)")
# Werkzeug's development server starts each line with the client's address and
# a date, and colours the request line for a terminal.
WERKZEUG_CLIENT = re.compile(r"^.*? - - \[[^\]]*\] ")
TERMINAL_COLOUR = re.compile(r"\x1b\[[\d;]*m")
REQUEST_LINE_QUERY = re.compile(r"(?P<line>\"[A-Z]+ [^\s?\"]*)\?[^\s\"]*")
# Gunicorn names the client of a request it could not parse.
GUNICORN_CLIENT = re.compile(r"\bip=\S+?(?=:?\s|:?$)")
REQUEST_ID = re.compile(r"[\w.:-]{1,128}")
REQUEST_ID_HEADER = "X-Request-ID"
# The Celery message header that carries the id of the request (or task) that published the task.
TASK_HEADER = "origin_request_id"

# The request id of an access line gunicorn is writing (it logs outside the Flask request).
_access_request_id: ContextVar[str | None] = ContextVar("access_request_id", default=None)
_root_handler: logging.Handler | None = None


def scrub(text: str) -> str:
    """The text with email addresses, tokens in personal links and quoted row values masked."""
    text = EMAIL.sub("[email]", text)
    text = TOKEN_IN_PATH.sub(r"\g<before>\g<route>[token]", text)
    text = FAILING_ROW.sub(r"\1(…)", text)
    return KEY_VALUES.sub(r"\1(…)", text)


def scrub_path(uri: str) -> str:
    """A request's path for an access line: no query string, tokens and addresses masked."""
    return scrub(uri.split("?", 1)[0])


class ScrubFilter(logging.Filter):
    """Masks personal data in a record's message, arguments, traceback and stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message by its scrubbed, formatted text; always keep the record."""
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line, nor raise from logging
            message = f"{record.msg} [arguments could not be formatted]"
        record.msg, record.args = scrub(_without_client(record.name, message)), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


SCRUB = ScrubFilter()


def _without_client(logger: str, message: str) -> str:
    """Drop the client's address (and a query string) that development and gunicorn servers log."""
    if logger == "werkzeug":
        message = TERMINAL_COLOUR.sub("", WERKZEUG_CLIENT.sub("", message))
        return REQUEST_LINE_QUERY.sub(r"\g<line>", message)
    if logger == "gunicorn.error":
        return GUNICORN_CLIENT.sub("ip=-", message)
    return message


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a line of JSON."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            entry["request_id"] = request_id
        task_id = current_task.request.id if current_task else None
        if task_id:
            entry["task_id"] = task_id
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def current_request_id() -> str | None:
    """The id of the request being handled or logged, or of the request (else task) behind a task."""
    candidate = _access_request_id.get()
    if candidate is None and has_request_context():
        candidate = g.get("request_id") or request.headers.get(REQUEST_ID_HEADER)
    if candidate is None and current_task:
        candidate = getattr(current_task.request, TASK_HEADER, None) or current_task.request.id
    # The header and the message come from outside: only a plain token is written as is.
    return candidate if isinstance(candidate, str) and REQUEST_ID.fullmatch(candidate) else None


def _assign_request_id() -> None:
    """Take the proxy's request id if it is a plain token, else make a short random one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else secrets.token_hex(8)


def _return_request_id(response: Response) -> Response:
    """Name the request's id in the response, so a client can quote it when something went wrong."""
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def _carry_request_id(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    """Put the current request's id in the headers of a task being published (before_task_publish)."""
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


# Connected once per process, whatever app publishes (the uid keeps one receiver).
signals.before_task_publish.connect(_carry_request_id, weak=False, dispatch_uid="campaign.logs.request_id")


def make_formatter(log_format: str) -> logging.Formatter:
    """The formatter for LOG_FORMAT ("text" or "json")."""
    chosen = log_format.strip().lower()
    if chosen not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {log_format!r}")
    return JsonFormatter() if chosen == "json" else logging.Formatter(TEXT_FORMAT)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        """Ignore: the stream is always the current standard error."""


def configure(log_format: str, level: int | str = logging.INFO, logfile: str | None = None) -> None:
    """Give the root logger one handler, scrubbed and in the chosen format; calling again replaces it."""
    global _root_handler
    handler: logging.Handler = WatchedFileHandler(logfile, encoding="utf-8") if logfile else _StderrHandler()
    handler.setFormatter(make_formatter(log_format))
    handler.addFilter(SCRUB)
    root = logging.getLogger()
    if _root_handler is not None:
        root.removeHandler(_root_handler)
        _root_handler.close()
    root.addHandler(handler)
    root.setLevel(level)
    _root_handler = handler


def init_app(app: Flask) -> None:
    """Log the app, werkzeug and a Celery worker or beat built from it through the scrubbed root handler."""
    log_format = app.config["LOG_FORMAT"]
    configure(log_format)
    # Flask's own handler would write app.logger's records (a 500's traceback) unfiltered.
    app.logger.removeHandler(default_handler)
    app.before_request(_assign_request_id)
    app.after_request(_return_request_id)

    def configure_celery(loglevel: int | str | None = None, logfile: Any = None, **kwargs: Any) -> None:
        """Celery's worker and beat use our handler rather than setting up their own."""
        configure(log_format, loglevel or logging.INFO, logfile if isinstance(logfile, str) else None)

    # A receiver means Celery leaves logging to us; the uid keeps one across app instances.
    signals.setup_logging.connect(configure_celery, weak=False, dispatch_uid="campaign.logs")


class GunicornLogger(glogging.Logger):
    """Gunicorn's logs in our format and through our filter; access lines keep no client or query."""

    # Request headers an access format may show; the others can carry cookies,
    # credentials, the client's address or a Referer with a token.
    SAFE_HEADERS = frozenset(
        {"host", "user-agent", "content-type", "content-length", "accept-language", "x-request-id"}
    )

    def setup(self, cfg: Any) -> None:
        """Set gunicorn's handlers up, then give them our filter and formatter."""
        super().setup(cfg)
        # Gunicorn configures its logs in the master, before any app exists: read the environment.
        formatter = make_formatter(os.environ.get("LOG_FORMAT", "text"))
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not isinstance(handler, SysLogHandler):
                    handler.setFormatter(formatter)
                handler.addFilter(SCRUB)

    def atoms(self, resp: Any, req: Any, environ: Mapping[str, Any], request_time: Any) -> dict[str, Any]:
        """Gunicorn's access-log atoms without the client's address, query string, referer or secrets."""
        atoms = super().atoms(resp, req, environ, request_time)
        path = scrub_path(environ.get("RAW_URI") or environ.get("PATH_INFO") or "")
        safe = {
            key: value
            for key, value in atoms.items()
            if not key.startswith("{") or (key.endswith("}i") and key[1:-2] in self.SAFE_HEADERS)
        }
        safe.update(
            h="-",
            u="-",
            f="-",
            q="-",
            r=f"{environ.get('REQUEST_METHOD', '-')} {path} {environ.get('SERVER_PROTOCOL', '-')}",
            U=scrub_path(environ.get("PATH_INFO") or ""),
        )
        return safe

    def access(self, resp: Any, req: Any, environ: Mapping[str, Any], request_time: Any) -> None:
        """Write the access line; its request id is the one the app answered with, else the proxy's."""
        answered = {name.lower(): value for name, value in getattr(resp, "headers", None) or ()}
        token = _access_request_id.set(answered.get("x-request-id") or environ.get("HTTP_X_REQUEST_ID"))
        try:
            super().access(resp, req, environ, request_time)
        finally:
            _access_request_id.reset(token)
