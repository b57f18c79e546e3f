"""What a `campaign` command prints from the modules it calls reads in the language of the process's locale.

Readiness (`campaign ready`, the doctor), the keys, the rows of `campaign
officials import`, an export's and a bulk invalidation's refusals: each test
runs a command that fails, in a French shell, and finds the message as the
French catalog writes it; test_the_new_messages_read_in_the_language checks that the
catalogs do not answer those messages with the English text itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy.engine import make_url

from tests.i18n.test_cli_language import FRENCH_SHELL, in_the_language, translated
from tests.support.workers import free_port

DATABASE_AWAY = "the database does not answer (%(error)s)"
BROKER_AWAY = "the broker does not answer (%(error)s)"
NO_INDEX_KEY = "No blind-index key: run `campaign keys init` or set BLIND_INDEX_KEY."
NO_SEALING_KEY = "No sealing key: run `campaign keys init`."
MISSING = "%(column)s is missing"
TOO_LONG = "%(column)s is too long or holds control characters"
NOT_A_COUNTRY = "country %(code)s is not an ISO 3166-1 alpha-2 code"
NOT_A_REGION = "region %(code)s is not an ISO 3166-2 code of %(country)s"
NOT_HTTPS = "photo_url must start with https://"
BAD_EMAIL = "email: %(reason)s"
HEADER_LACKS = "the header lacks: %(columns)s"
NEW_MESSAGES = (
    DATABASE_AWAY,
    BROKER_AWAY,
    NO_INDEX_KEY,
    NO_SEALING_KEY,
    MISSING,
    TOO_LONG,
    NOT_A_COUNTRY,
    NOT_A_REGION,
    NOT_HTTPS,
    HEADER_LACKS,
)  # not BAD_EMAIL: 'email: %(reason)s' may read the same (the column's name and a colon)

ANY = "\x00"  # a value the command knows and the test does not (an exception's name, the broker's URL)


def shape(text: str) -> re.Pattern[str]:
    """A line ending with the text, whatever each ANY in it stands for."""
    return re.compile(".*" + ".+".join(re.escape(part) for part in text.split(ANY)))


def capitalized(text: str) -> str:
    """The text with its first letter in capitals, as the doctor begins its sentences."""
    return text[:1].upper() + text[1:]


def french(app: Any, *args: str) -> Result:
    """Run a `campaign` command in the app's own context, in a French shell."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args), env=FRENCH_SHELL)


@pytest.fixture
def broken(app: Any, tmp_path: Any) -> Iterator[Any]:
    """An installation whose database and broker are away (ports nobody listens on) and that holds no keys."""
    from campaign import create_app
    from campaign.privacy import keys

    away = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x",
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
            "KEYS_PATH": str(tmp_path / "no-keys"),
        }
    )
    keys.forget()  # the keys this process read from the run's own folder
    yield away
    keys.forget()


def test_ready_says_in_french_what_does_not_answer(app, broken):
    result = french(broken, "ready")

    assert result.exit_code == 1
    database, broker = result.output.splitlines()
    assert database == translated(app, "fr", DATABASE_AWAY, error="OperationalError")
    assert shape(translated(app, "fr", BROKER_AWAY, error=ANY)).fullmatch(broker), broker


def test_the_doctor_says_in_french_what_does_not_answer_and_which_key_is_missing(app, broken):
    result = french(broken, "doctor")

    assert result.exit_code == 1
    lines = result.output.splitlines()
    where = make_url(broken.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(hide_password=True)
    problem = capitalized(translated(app, "fr", DATABASE_AWAY, error="OperationalError"))
    database = translated(app, "fr", "%(problem)s at %(where)s.", problem=problem, where=where)
    assert [line for line in lines if line.endswith(f" {database}")], result.output
    problem = capitalized(translated(app, "fr", BROKER_AWAY, error=ANY))
    broker = shape(translated(app, "fr", "%(problem)s at %(where)s.", problem=problem, where=ANY))
    assert [line for line in lines if broker.fullmatch(line)], result.output
    missing = translated(app, "fr", NO_INDEX_KEY)
    assert [line for line in lines if line.endswith(f" {missing}")], result.output


def test_officials_import_says_in_french_why_each_row_is_rejected(db, app, tmp_path):
    path = tmp_path / "officials.csv"
    path.write_text(
        "name,title,country,region,email,photo_url\n"
        "No Email,Minister,FR,,,\n"
        "Bad Country,Minister,XX,,country@example.org,\n"
        "Wrong Region,Minister,FR,CA-ON,region@example.org,\n"
        "Plain Photo,Minister,FR,,photo@example.org,http://example.org/photo.png\n"
        "Bad Address,Minister,FR,,not-an-address,\n"
        f"Long Title,{'T' * 201},FR,,title@example.org,\n"
    )

    result = app.test_cli_runner().invoke(args=["officials", "import", str(path)], env=FRENCH_SHELL)

    assert result.exit_code == 1
    no_at = translated(app, "fr", "it needs one @ between the name and the domain, as in name@example.org.")
    reasons = [
        translated(app, "fr", MISSING, column="email"),
        translated(app, "fr", NOT_A_COUNTRY, code="'XX'"),
        translated(app, "fr", NOT_A_REGION, code="'CA-ON'", country="FR"),
        translated(app, "fr", NOT_HTTPS),
        translated(app, "fr", BAD_EMAIL, reason=no_at),
        translated(app, "fr", TOO_LONG, column="title"),
    ]
    rejected = [
        translated(app, "fr", "line %(line)s: rejected: %(reason)s", line=line, reason=reason)
        for line, reason in enumerate(reasons, start=2)
    ]
    assert [line for line in result.output.splitlines() if line in rejected] == rejected

    path.write_text("name,email\nAna,ana@example.org\n")
    result = app.test_cli_runner().invoke(args=["officials", "import", str(path)], env=FRENCH_SHELL)

    assert result.exit_code == 1
    lacks = translated(app, "fr", HEADER_LACKS, columns="title, country")
    assert lacks in result.output


def test_export_refuses_in_french(db, app, make_campaign, tmp_path):
    make_campaign(slug="exported")
    output = tmp_path / "signatures.csv"

    result = app.test_cli_runner().invoke(
        args=["export", "exported", "-o", str(output), "--country", "XX"], env=FRENCH_SHELL
    )

    assert result.exit_code == 1 and not output.exists()
    refusal = translated(app, "fr", "Unknown country code %(code)s.", code="'XX'")
    assert refusal != "Unknown country code 'XX'."  # translated already
    assert refusal in result.output


def test_invalidate_refuses_criteria_in_french(db, app):
    result = app.test_cli_runner().invoke(
        args=["signatures", "invalidate", "--domain", "someone@example.org", "--dry-run"], env=FRENCH_SHELL
    )

    assert result.exit_code == 2  # click's usage error: the criteria as typed
    english = "Give the email domain alone (example.org), not an address: use a pattern for that."
    refusal = translated(app, "fr", english)
    assert refusal != english  # translated already
    assert refusal in result.output


# Each message the tests above read is translated in every shipped language (not left in English).
@pytest.mark.parametrize("language", ["fr", "hy", "ru"])
def test_the_new_messages_read_in_the_language(app, language):
    in_the_language(app, language, *NEW_MESSAGES)
