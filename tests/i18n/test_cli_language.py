"""The `campaign` command speaks the language of the process's locale (LANG, LC_ALL, LANGUAGE)."""

from __future__ import annotations

from pathlib import Path

from babel.support import Translations

CATALOGS = Path(__file__).resolve().parents[2] / "campaign" / "translations"
# Only LANG names a language: a LANGUAGE or LC_ALL of the machine running the tests would come first.
FRENCH_SHELL = {"LANG": "fr_FR.UTF-8", "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None}


def test_a_command_run_under_a_french_locale_answers_in_french(db, app):
    """A French administrator reads the command's error in French, as the French catalog writes it.

    Until the French translator fills this message, the catalog's answer is the
    English text itself, and this pins the fallback: the command still answers.
    """
    message = "No account has the address %(email)s."
    french = Translations.load(str(CATALOGS), ["fr"]).gettext(message) % {"email": "nobody@example.org"}

    result = app.test_cli_runner().invoke(args=["user", "disable", "nobody@example.org"], env=FRENCH_SHELL)

    assert result.exit_code == 1
    assert french in result.output
