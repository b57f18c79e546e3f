"""A campaign translated in the builder, as an organizer's browser does it."""

# Armenian text, whose letters and marks resemble Latin ones.
# ruff: noqa: RUF001

from __future__ import annotations

import html as html_module
import re
from typing import Any

from tests.support.forms import csrf_token

HY_TITLE = "Ճանաչե՛ք Արցախի Հանրապետությունը"
HY_SUMMARY = "Խնդրեք մեր խորհրդարանին ճանաչել Արցախը։"
HY_BODY = "Խորհրդարանը պետք է **ճանաչի** Արցախը։"


def translate(browser: Any, campaign: Any, language: str = "hy", interface: str = "en", **fields: str) -> Any:
    """Post the translation form as an organizer would: open it (its CSRF token, and the address its
    form posts to) in an interface in `interface`, and post it; Armenian words unless told others."""
    values = {"title": HY_TITLE, "summary": HY_SUMMARY, "body_markdown": HY_BODY, "share_text": ""}
    values.update(fields)
    page = browser.get(f"/organize/campaigns/{campaign.id}/translations/{language}?lang={interface}")
    if page.status_code != 200:
        return page
    html = page.get_data(as_text=True)
    action = html_module.unescape(re.findall(r'<form method="post" action="([^"]+)"', html)[-1])
    return browser.post(action, data={"csrf_token": csrf_token(html), **values})
