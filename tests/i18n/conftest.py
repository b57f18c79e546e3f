"""The catalogs as the app reads them: compiled afresh when a translator changed a .po file."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """Compile each .po newer than its .mo, as `make install` does (pytest may be run without it)."""
    catalogs = Path(__file__).resolve().parents[2] / "campaign" / "translations"
    for po in catalogs.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)
