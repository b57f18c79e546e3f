"""Every setting the code reads has its default in campaign/config.py's DEFAULTS (or a stated reason not to).

A setting read with `config.get("X", default)` somewhere deep in a module
cannot be set from the environment, and nobody looking at config.py learns it
exists. These tests read the source of campaign/ and worker/ for the settings
it names and fail on one that config.py does not define.
"""

from __future__ import annotations

import re
from pathlib import Path

import flask
import pytest

from campaign import config

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [*sorted((ROOT / "campaign").rglob("*.py")), *sorted((ROOT / "worker").rglob("*.py"))]

# config.get("X"…), config["X"], and config_limit("X") (a rate limit read at each request).
READS = re.compile(
    r"""(?:config\.get\(\s*|config\[\s*|config_limit\(\s*)["']([A-Z][A-Z0-9_]*)["']""",
)

# Settings read from the environment by config.from_environment rather than kept in DEFAULTS:
# addresses, secrets and paths that have no sensible default of their own.
FROM_ENVIRONMENT = frozenset(config.from_environment({"SECRET_KEY": "test"}))
# Flask's own settings (SESSION_COOKIE_NAME, TESTING, …): Flask gives them their defaults.
FLASK_OWN = frozenset(flask.Flask.default_config)
# Read by the code but given no default on purpose, each with the reason.
ALLOWED = {
    # The old name of REDIS_KEY_PREFIX, read only as its fallback.
    "CELERY_KEY_PREFIX",
}

# Settings whose names the code builds (f-strings), so the pattern above cannot see them.
BUILT_NAMES = [
    *(f"CAMPAIGN_IMAGE_{name}" for name in ("MAX_BYTES", "MAX_PIXELS", "MAX_SIDE")),  # builder/images.py
    *(
        f"FLOOD_{rule}_{window}"  # signing/flood_windows.py
        for rule in ("ADDRESS", "RANGE", "DOMAIN", "DISPOSABLE", "CAMPAIGN")
        for window in ("PER_MINUTE", "PER_HOUR")
    ),
]


def read_settings() -> dict[str, list[str]]:
    """Every setting named in the source of campaign/ and worker/, with where it is read."""
    found: dict[str, list[str]] = {}
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        for match in READS.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.setdefault(match.group(1), []).append(f"{path.relative_to(ROOT)}:{line}")
    return found


def test_the_source_reads_settings_the_pattern_finds():
    """The search finds the settings it should (a broken pattern would pass every check)."""
    found = read_settings()
    assert {"COUNT_LOCAL_SECONDS", "COUNTS_FOLD_BATCH", "ACCOUNT_EMAIL_RATE_LIMIT"} <= set(found)


def test_every_setting_read_has_a_default_in_config():
    """A setting the code reads is in DEFAULTS, read from the environment, Flask's own, or allowed."""
    known = set(config.DEFAULTS) | FROM_ENVIRONMENT | FLASK_OWN | ALLOWED
    missing = {key: where for key, where in read_settings().items() if key not in known}
    assert not missing, f"settings read but not in campaign/config.py DEFAULTS: {missing}"


@pytest.mark.parametrize("key", BUILT_NAMES)
def test_settings_with_built_names_have_a_default(key):
    """The settings whose names the code puts together are in DEFAULTS too."""
    assert key in config.DEFAULTS


def test_whole_number_defaults_can_be_set_from_the_environment():
    """A whole number in DEFAULTS is overridden by an environment variable of its name."""
    environment = {"SECRET_KEY": "test", "INVITATION_MAX_AGE": "60", "CAMPAIGN_IMAGE_MAX_SIDE": "800"}
    settings = config.from_environment(environment)
    assert (settings["INVITATION_MAX_AGE"], settings["CAMPAIGN_IMAGE_MAX_SIDE"]) == (60, 800)


def test_folders_and_text_settings_can_be_set_from_the_environment(tmp_path):
    """An operator puts the exports and logos on a volume of their own, or changes a rate limit,
    from the environment as README says; unset, the defaults stay."""
    environment = {
        "SECRET_KEY": "test",
        "EXPORT_FOLDER": str(tmp_path / "exports"),
        "ORGANIZATION_LOGO_FOLDER": str(tmp_path / "logos"),
        "API_RATE_LIMIT": "300/minute",
    }
    settings = config.from_environment(environment)
    assert settings["EXPORT_FOLDER"] == str(tmp_path / "exports")
    assert settings["ORGANIZATION_LOGO_FOLDER"] == str(tmp_path / "logos")
    assert settings["API_RATE_LIMIT"] == "300/minute"
    unset = config.from_environment({"SECRET_KEY": "test"})
    assert "CAMPAIGN_IMAGE_FOLDER" not in unset and "API_RATE_LIMIT" not in unset


def test_the_allowed_exceptions_are_still_read():
    """An exception that nothing reads any more is dropped from the list rather than kept."""
    assert set(read_settings()) >= ALLOWED
