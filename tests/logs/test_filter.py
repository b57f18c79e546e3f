"""The log filter: no email address, secret token, client address or row value reaches a log line."""

import json
import logging
import threading
import urllib.request
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from werkzeug.serving import make_server

from campaign import logs
from tests.support.workers import free_port

EMAIL = "zabel.yesayan.logtest@example.org"
TOKEN = "eyJzIjo0Mn0.Zk3x9Q.secretPart_-42"
TOKEN_PATHS = [
    "/confirm/{}",
    "/confirm/{}/renew",
    "/my/{}",
    "/my/{}/withdraw/3",
    "/u/{}",
    "/stop-email/{}",
    "/letters/replied/{}",
    "/password/reset/{}",
    "/invitations/{}",
]


def filtered(msg, *args, name="campaign.test", exc_info=None):
    """A record as it leaves the filter."""
    record = logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, exc_info)
    assert logs.SCRUB.filter(record) is True
    return record


def formatted(record, log_format="text"):
    """The line a handler would write for the record."""
    return logs.make_formatter(log_format).format(record)


def test_an_email_in_the_arguments_is_masked():
    record = filtered("confirmation sent to %s", EMAIL)
    assert record.getMessage() == "confirmation sent to [email]"


@pytest.mark.parametrize(
    "address",
    [EMAIL, EMAIL.upper(), quote(EMAIL, safe=""), "supporter+armenia@mail.example.am", "ե.մ@օրինակ.հայ"],
)
def test_every_spelling_of_an_address_is_masked(address):
    record = filtered("%(to)s refused: %(reason)s", {"to": address, "reason": "mailbox full"})
    assert record.getMessage() == "[email] refused: mailbox full"


def test_an_email_in_a_traceback_is_masked():
    try:
        raise ValueError(f"550 <{EMAIL}> mailbox unavailable")
    except ValueError as error:
        record = filtered("sending failed", exc_info=(type(error), error, error.__traceback__))
    line = formatted(record)
    assert EMAIL not in line
    assert "550 <[email]> mailbox unavailable" in line


@pytest.mark.parametrize("path", TOKEN_PATHS)
def test_the_token_of_a_personal_link_is_masked(path):
    secret_path = path.format(TOKEN)
    for message in (f"Exception on {secret_path} [POST]", f"link: http://localhost:8000{secret_path}"):
        scrubbed = filtered(message).getMessage()
        assert TOKEN not in scrubbed
        assert path.format("[token]") in scrubbed


@pytest.mark.parametrize("path", ["/campaigns/u/sign", "/campaigns/recognize-artsakh/count.json", "/my"])
def test_paths_without_secrets_are_kept(path):
    assert filtered("GET %s", path).getMessage() == f"GET {path}"


def test_row_values_that_postgresql_quotes_are_masked():
    error = (
        'null value in column "country" violates not-null constraint\n'
        "DETAIL:  Failing row contains (7, Zabel, Yesayan, null).\n"
        "DETAIL:  Key (campaign_id, given_name)=(7, Zabel) already exists."
    )
    message = filtered(error).getMessage()
    assert "Zabel" not in message
    assert "Yesayan" not in message
    assert "Key (campaign_id, given_name)=(…) already exists." in message


def test_a_werkzeug_request_line_loses_the_client_address_and_query():
    record = filtered(
        '203.0.113.7 - - [01/Nov/2026 10:00:00] "%s" %s %s',
        f"GET /confirm/{TOKEN}?email={EMAIL} HTTP/1.1",
        "200",
        "-",
        name="werkzeug",
    )
    assert record.getMessage() == '"GET /confirm/[token] HTTP/1.1" 200 -'


def test_gunicorn_names_no_client_of_a_bad_request():
    record = filtered("Invalid request from ip=203.0.113.7: Invalid HTTP method", name="gunicorn.error")
    assert record.getMessage() == "Invalid request from ip=-: Invalid HTTP method"


def test_json_lines_are_one_object_each_with_the_fields_we_search_by():
    try:
        raise RuntimeError("boom")
    except RuntimeError as error:
        record = filtered("two\nlines for %s", EMAIL, exc_info=(RuntimeError, error, error.__traceback__))
    line = formatted(record, "json")
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "campaign.test"
    assert entry["message"] == "two\nlines for [email]"
    assert entry["time"].endswith("+00:00")
    assert "RuntimeError: boom" in entry["exception"]
    assert "request_id" not in entry


def test_json_lines_carry_the_proxys_request_id(app):
    with app.test_request_context(headers={"X-Request-ID": "req-4f2a"}):
        entry = json.loads(formatted(filtered("in a request"), "json"))
    assert entry["request_id"] == "req-4f2a"
    # A header is the client's to write: anything but a plain token is left out.
    with app.test_request_context(headers={"X-Request-ID": f"to {EMAIL}"}):
        entry = json.loads(formatted(filtered("in a request"), "json"))
    assert "request_id" not in entry


def test_text_lines_have_time_level_and_logger():
    line = formatted(filtered("hello %s", EMAIL))
    assert line.endswith(" ERROR [campaign.test] hello [email]")


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.make_formatter("xml")


@pytest.fixture
def fresh_app(app):
    """An app of our own, so a test may add a route that fails; not propagating errors, like production."""
    from campaign import create_app

    application = create_app({"PROPAGATE_EXCEPTIONS": False})

    @application.get("/my/<token>/boom")
    def boom(token):
        raise RuntimeError(f"could not reach {EMAIL}")

    return application


def test_a_500_is_logged_with_its_traceback_scrubbed(fresh_app, capsys):
    response = fresh_app.test_client().get(f"/my/{TOKEN}/boom")
    assert response.status_code == 500
    err = capsys.readouterr().err
    assert "Exception on /my/[token]/boom [GET]" in err
    assert "RuntimeError: could not reach [email]" in err
    assert TOKEN not in err
    assert EMAIL not in err


def test_werkzeugs_development_server_logs_through_the_filter(fresh_app, capsys):
    server = make_server("127.0.0.1", free_port(), fresh_app)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/confirm/{TOKEN}?email={quote(EMAIL)}&given_name=Zabel"
    with pytest.raises(urllib.error.HTTPError):  # an invalid token: 400
        urllib.request.urlopen(url, timeout=10)
    thread.join(timeout=10)
    server.server_close()
    err = capsys.readouterr().err
    assert '"GET /confirm/[token] HTTP/1.1" 400' in err
    for secret in (TOKEN, "127.0.0.1 - -", "Zabel", "example.org"):
        assert secret not in err


def test_a_database_error_shows_no_parameters(db, capsys):
    with pytest.raises(ProgrammingError) as raised:
        db.session.execute(
            text("INSERT INTO no_such_table (given_name, email) VALUES (:given_name, :email)"),
            {"given_name": "Yesayan", "email": EMAIL},
        )
    db.session.rollback()
    logging.getLogger("campaign.test").error("insert failed", exc_info=raised.value)
    err = capsys.readouterr().err
    assert "SQL parameters hidden" in err
    assert "Yesayan" not in err
    assert EMAIL not in err


def test_a_celery_worker_logs_through_the_same_filter(app, tmp_path):
    from celery import signals

    logfile = tmp_path / "worker.log"
    try:
        signals.setup_logging.send(
            sender=None, loglevel=logging.INFO, logfile=str(logfile), format="", colorize=False
        )
        logging.getLogger("celery.app.trace").info("Task mail.pump[1] failed: %s", EMAIL)
    finally:
        logs.configure("text")
    assert "Task mail.pump[1] failed: [email]" in logfile.read_text()
