"""The `campaign` command speaks the language of the process's locale (LANG, LC_ALL, LANGUAGE).

What a command prints is compared with what the catalog says for the reader's
language, and `in_the_language` checks that the catalog does not answer with the
English text itself.
"""

from __future__ import annotations

import inspect
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.support import Translations
from click.testing import Result
from flask_babel import LazyString, force_locale, gettext
from sqlalchemy import select

from campaign.cli import main
from tests.faults.live import CAMPAIGN, embedded_environment
from tests.support.letters import BODY, SUBJECT

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = ROOT / "campaign" / "translations"
LOCALES = {"fr": "fr_FR.UTF-8", "ru": "ru_RU.UTF-8", "hy": "hy_AM.UTF-8"}


def shell(language: str) -> dict[str, str | None]:
    """A shell in a language: only LANG names it (the machine's LANGUAGE or LC_ALL would come first)."""
    return {"LANG": LOCALES[language], "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None}


FRENCH_SHELL = shell("fr")


def translated(app: Any, language: str, message: str, **values: Any) -> str:
    """A message as the catalog of a language writes it (the English text while the catalog lacks it)."""
    with app.app_context(), force_locale(language):
        return str(gettext(message, **values))


def in_the_language(app: Any, language: str, *messages: str) -> None:
    """The messages read in the language, not in English (the catalog translates each)."""
    english = [message for message in messages if translated(app, language, message) == message]
    assert english == [], f"{language}: the catalog does not translate {english} yet"


def invoke(app: Any, language: str, *args: str) -> Result:
    """Run a `campaign` command in this process, under a shell in the language."""
    return app.test_cli_runner().invoke(args=list(args), env=shell(language))


def test_a_command_run_under_a_french_locale_answers_in_french(db, app):
    """A French administrator reads the command's error in French, as the French catalog writes it."""
    message = "No account has the address %(email)s."
    french = Translations.load(str(CATALOGS), ["fr"]).gettext(message) % {"email": "nobody@example.org"}

    result = app.test_cli_runner().invoke(args=["user", "disable", "nobody@example.org"], env=FRENCH_SHELL)

    assert result.exit_code == 1
    assert french in result.output


@pytest.mark.parametrize("language", ["fr", "ru"])
def test_keys_list_names_each_key_in_the_readers_language(db, app, language):
    from campaign.privacy.models import SealingKey

    platform_key = db.session.execute(
        select(SealingKey).where(SealingKey.organization_id.is_(None), SealingKey.retired_at.is_(None))
    ).scalar_one()

    result = invoke(app, language, "keys", "list")

    assert result.exit_code == 0, result.output
    # Translated already: the key's state, as `campaign ledger keys` says it.
    current = translated(app, language, "current")
    assert current != "current" and current in result.output
    made = translated(app, language, "made %(date)s", date=f"{platform_key.created_at:%Y-%m-%d}")
    expected = "  ".join(
        [
            platform_key.id,
            translated(app, language, "platform"),
            made,
            current,
            translated(app, language, "held here"),
        ]
    )
    assert expected in result.output.splitlines()
    in_the_language(app, language, "platform", "made %(date)s", "held here")


@pytest.mark.parametrize("language", ["fr", "ru"])
def test_the_doctor_reports_in_the_readers_language(db, app, language):
    result = invoke(app, language, "doctor")

    # Translated already: the sentences of the findings.
    answers = translated(app, language, "The broker answers.")
    assert answers != "The broker answers."
    [line] = [line for line in result.output.splitlines() if line.endswith(answers)]
    # The columns: ok or FAIL, then the check's name, in the reader's words too.
    assert line.startswith(translated(app, language, "ok") + " ")
    assert f" {translated(app, language, 'broker')} " in line
    ready = invoke(app, language, "ready")
    assert ready.exit_code == 0 and ready.output.strip() == translated(app, language, "ready")
    # "ok" and "broker" may well stay as they are in French: not asked to differ.
    in_the_language(app, language, "FAIL", "database", "ready")


@pytest.mark.parametrize("language", ["fr", "hy"])
def test_the_officials_commands_answer_in_the_readers_language(db, app, make_campaign, tmp_path, language):
    from campaign.campaigns.models import CampaignKind
    from campaign.targets.models import LetterCampaign, Targeting

    path = tmp_path / "officials.csv"
    path.write_text(
        "name,title,country,email\nAna,Minister,FR,ana@example.org\nAna,Minister,FR,ana@example.org\n"
    )
    imported = invoke(app, language, "officials", "import", str(path))
    assert imported.exit_code == 0, imported.output
    added = "Added %(added)s; %(duplicates)s duplicates; %(rejected)s rejected."
    assert translated(app, language, added, added=1, duplicates=1, rejected=0) in imported.output
    assert translated(app, language, "line %(line)s: already in the directory", line=3) in imported.output

    campaign = make_campaign(slug="letters", kind=CampaignKind.LETTER)
    db.session.add(
        LetterCampaign(
            campaign_id=campaign.id, subject_template=SUBJECT, body_template=BODY, targeting=Targeting.ROUTED
        )
    )
    db.session.commit()
    status = invoke(app, language, "officials", "status", "letters")
    assert status.exit_code == 0, status.output
    # Translated already: each state of a letter, named as the dashboard names it.
    states = [
        translated(app, language, state).lower() for state in ("Queued", "Held", "Sent", "Failed", "Bounced")
    ]
    assert "queued" not in states
    assert status.output.splitlines()[0] == "\t".join([translated(app, language, "official"), *states])

    unknown = invoke(app, language, "officials", "delivery", "nothing")
    assert unknown.exit_code == 1
    assert translated(app, language, "No letter campaign '%(slug)s'.", slug="nothing") in unknown.output
    in_the_language(app, language, added, "official", "No letter campaign '%(slug)s'.")


@pytest.mark.parametrize("language", ["fr", "hy"])
def test_campaign_help_reads_in_the_readers_language(app, tmp_path, language):
    """`campaign --help` in a shell, as an administrator runs it: the app loads only to list the commands."""
    env = embedded_environment(tmp_path / "instance", LANG=LOCALES[language])
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        env.pop(name, None)

    shown = subprocess.run([CAMPAIGN, "--help"], env=env, capture_output=True, text=True, timeout=120)

    assert shown.returncode == 0, shown.stderr
    page = " ".join(shown.stdout.split())  # as read, whatever the terminal's width wrapped
    # Translated already: a group's help, its first words (click shortens it to the terminal's width).
    english = "Manage the accounts of organizers, staff and admins."
    accounts = translated(app, language, english)
    assert accounts != english
    assert " ".join(accounts.split()[:3]) in page
    # The command's own help, above the options, and click's words around it.
    for words in (
        "Manage the campaign platform.",
        "Usage:",
        "Options",
        "Commands",
        "Show this message and exit.",
    ):
        assert " ".join(translated(app, language, words).split()) in page
    in_the_language(app, language, "Manage the campaign platform.", "Usage:")


def _ours(command: click.Command) -> bool:
    """Whether the command is the platform's (not Flask's, Flask-Migrate's or Flask-Limiter's)."""
    if command.callback is not None:
        return inspect.unwrap(command.callback).__module__.startswith("campaign")
    return isinstance(command, click.Group) and all(_ours(sub) for sub in command.commands.values())


def _commands(group: click.Group, path: str) -> list[tuple[str, click.Command]]:
    """Every command and subcommand of the group, with its path ("keys list")."""
    found = []
    for name, command in sorted(group.commands.items()):
        if _ours(command):
            found.append((f"{path} {name}".strip(), command))
            if isinstance(command, click.Group):
                found += _commands(command, f"{path} {name}")
    return found


def _lazy(thing: Any) -> Any:
    """A command's or option's help as it was given: the lazy text kept by our classes, else click's."""
    return getattr(thing, "lazy_help", None) or thing.help


def test_every_command_and_option_has_its_help_in_the_catalog(app):
    """Each command's and option's help is a lazy_gettext text that `make translations` extracts.

    click takes a command's help from its docstring unless given one, and no catalog holds docstrings.
    """
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None, "lazy_ngettext": (1, 2)}
    msgids = {
        message if isinstance(message, str) else message[0]
        for source in (ROOT / "campaign").rglob("*.py")
        for _, message, *_ in extract_from_file("python", source, keywords)
    }
    commands = [("", main), *_commands(app.cli, "")]
    assert {"doctor", "keys list", "officials status", "user create"} <= {path for path, _ in commands}

    untranslated = []
    for path, command in commands:
        # The root's options are Flask's own (--app, --env-file, --debug, --version).
        options = (
            [] if command is main else [param for param in command.params if getattr(param, "help", None)]
        )
        helped = [("help", command), *((param.name, param) for param in options)]
        for what, thing in helped:
            if what == "help" and command.hidden:
                continue
            text = _lazy(thing)
            # A LazyString of lazy_gettext holds its msgid first among its arguments.
            if not isinstance(text, LazyString) or text._args[0] not in msgids:
                untranslated.append(f"campaign {path}: {what}")
    assert untranslated == [], untranslated
