"""Forms as a browser fills them: the page's CSRF token, then a post with it."""

from __future__ import annotations

import re
from typing import Any


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'type="hidden" name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(client: Any, page_path: str, action: str | None = None, **fields: Any) -> Any:
    """Open a page and post to its form (or to `action`) with the page's CSRF token."""
    page = client.get(page_path)
    token = csrf_token(page.get_data(as_text=True))
    return client.post(action or page_path, data={"csrf_token": token, **fields})
