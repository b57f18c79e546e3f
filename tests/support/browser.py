"""A real browser for the page tests: the app served over HTTP, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

from tests.support.workers import free_port

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling out to a network this machine lacks.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def site(app: object) -> Iterator[str]:
    """The app served over HTTP on a port of its own, its email links pointing there."""
    from campaign import create_app

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    served = create_app({"TESTING": True, "BASE_URL": base_url})
    server = make_server("127.0.0.1", port, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium."""
    assert Path(CHROMIUM).exists(), "the browser tests need Debian's chromium: apt-get install chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def open_page(browser: Any, *, javascript: bool = True) -> tuple[Page, list[str]]:
    """A phone-sized page that records console errors (a CSP violation is one)."""
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return page, errors
