"""Absolute links for email, built without a request (workers have none), and the parameters other
sites add to links to us, which no page of ours carries on."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app

# Added by social networks, ad platforms and mailers to links to us, most of them naming one click
# or one recipient (fbclid, gclid, mc_eid ...). No page reads them or links on with them: a page
# made for every reader must not hold one reader's click id, and the front (deploy/nginx.conf,
# which names the same list) keys its cache without them. `utm_*` tags are matched by prefix.
TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "gbraid",
        "wbraid",
        "dclid",
        "msclkid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "srsltid",
    }
)
TRACKING_PREFIX = "utm_"


def is_tracking(parameter: str) -> bool:
    """Whether a query parameter is one that other sites add to links to us."""
    return parameter in TRACKING_PARAMETERS or parameter.startswith(TRACKING_PREFIX)


def absolute_url(endpoint: str, **values: Any) -> str:
    """A link on the configured BASE_URL, e.g. for the confirmation email."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return str(adapter.build(endpoint, values, force_external=True))
