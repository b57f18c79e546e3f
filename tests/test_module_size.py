"""No module of the platform over 300 lines: each one has one job, and a reader can hold it whole."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 300
# Longer on purpose, each for a reason a reader can check.
EXCEPTIONS = {
    # The public verifier: one file, needing only Python and `cryptography`, so that anyone
    # checking our counts can read all of it before running it (docs/LEDGER.md, the receipt page).
    "campaign/ledger/verify.py",
}


def _modules() -> dict[str, int]:
    """Each Python module of campaign/ and worker/ and its number of lines."""
    found = {}
    for folder in ("campaign", "worker"):
        for path in (ROOT / folder).rglob("*.py"):
            found[path.relative_to(ROOT).as_posix()] = len(path.read_text(encoding="utf-8").splitlines())
    return found


def test_no_module_is_over_the_limit():
    """A module past the limit is split by job (issue 13), unless it is a listed exception."""
    modules = _modules()
    assert len(modules) > 150
    too_long = {name: lines for name, lines in modules.items() if lines > LIMIT and name not in EXCEPTIONS}
    assert too_long == {}


def test_each_exception_is_still_needed():
    """An exception that has shrunk under the limit, or gone, leaves the list."""
    modules = _modules()
    assert {name for name in EXCEPTIONS if modules.get(name, 0) > LIMIT} == EXCEPTIONS
