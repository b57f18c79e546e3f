"""Why an endpoint was refused or turned off, or a delivery failed: kept as a short code, shown in the
owner's language.

The database keeps a code and at most a technical detail after a colon
("http-status:503", "private-address:10.0.0.5"), never a sentence: the page
turns it into a phrase of PHRASES in the language it is written in. Rows
written before the codes hold English sentences: those are shown as they are.
"""

from __future__ import annotations

from flask_babel import LazyString, lazy_gettext

# Why an endpoint's URL is refused (campaign.webhooks.transport.check).
INVALID_URL = "invalid-url"
NOT_HTTP_URL = "not-http-url"
UNRESOLVABLE = "unresolvable"
NO_ADDRESS = "no-address"
PRIVATE_ADDRESS = "private-address"
PLAIN_HTTP = "plain-http"
# Why a delivery is not delivered (yet) (campaign.webhooks.delivery, failures).
ENDPOINT_OFF = "endpoint-off"
RETRIES_OVER = "retries-over"
NO_KEY = "no-key"
NO_ANSWER = "no-answer"
HTTP_STATUS = "http-status"
# Why an endpoint was turned off (campaign.webhooks.failures).
FAILED_IN_A_ROW = "failed-in-a-row"
FAILING_SINCE = "failing-since"

# What each code says; %(detail)s is the technical detail stored after it.
PHRASES: dict[str, LazyString] = {
    INVALID_URL: lazy_gettext("the URL is not valid"),
    NOT_HTTP_URL: lazy_gettext("the URL must be https://host/path, without a user name or password"),
    UNRESOLVABLE: lazy_gettext("the host %(detail)s cannot be resolved"),
    NO_ADDRESS: lazy_gettext("the host %(detail)s has no address"),
    PRIVATE_ADDRESS: lazy_gettext(
        "the host resolves to a private, loopback or link-local address (%(detail)s)"
    ),
    PLAIN_HTTP: lazy_gettext("the URL must use https://"),
    ENDPOINT_OFF: lazy_gettext("not sent: the endpoint is turned off"),
    RETRIES_OVER: lazy_gettext("not sent: it kept failing for longer than deliveries are retried"),
    NO_KEY: lazy_gettext("waiting: the worker that tried lacks the key to write it"),
    NO_ANSWER: lazy_gettext("the endpoint did not answer (%(detail)s)"),
    HTTP_STATUS: lazy_gettext("the endpoint answered with HTTP status %(detail)s"),
    FAILED_IN_A_ROW: lazy_gettext("failed attempts in a row: %(detail)s"),
    FAILING_SINCE: lazy_gettext("failing since %(detail)s UTC"),
}
# The fixed English sentences older rows hold, read as the code that replaced them.
_OLD_SENTENCES = {
    "not sent: the endpoint is disabled": ENDPOINT_OFF,
    "not sent: the endpoint was disabled": ENDPOINT_OFF,
    "not sent: retried for WEBHOOK_RETRY_HOURS": RETRIES_OVER,
    "cannot be written by this worker": NO_KEY,
}
# Stored reasons fit their columns (String(300)).
STORED_MAX = 300


def stored(code: str, detail: object = None) -> str:
    """The reason as the database keeps it: the code, and the detail after a colon if there is one."""
    return (code if detail is None else f"{code}:{detail}")[:STORED_MAX]


def describe(reason: str | None) -> str:
    """A stored reason as the owner reads it, in the page's language; an older row's text as it is."""
    if not reason:
        return ""
    code, _colon, detail = reason.partition(":")
    phrase = PHRASES.get(_OLD_SENTENCES.get(reason, code))
    if phrase is None:
        return reason
    try:
        return str(phrase) % {"detail": detail}
    except (KeyError, ValueError, TypeError):
        return reason  # a translation that broke its placeholder: the stored reason rather than a 500


def described(reason: str | None) -> LazyString:
    """describe(), in the language in force where the text is finally written (a mail's, a page's)."""
    return LazyString(describe, reason)
