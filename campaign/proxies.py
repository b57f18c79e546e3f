"""Who the client is behind proxies: exactly TRUSTED_PROXY_HOPS of X-Forwarded-For, and a warning if amiss.

Behind N proxies of our own, the client is the Nth address from the right of
X-Forwarded-For: each proxy appends the address it was called from, so
whatever a client writes in the header itself stays to the left of them and
is never read. Trusting more hops than there are proxies lets anyone choose
their own address (a fresh flood-rule bucket per request); trusting fewer
makes every client look like the proxy (one bucket for everybody).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

# Probes of a load balancer or orchestrator often call the process directly, not through the proxy.
PROBE_PATHS = ("/healthz", "/readyz")


def client_hash(client_address: str) -> str:
    """A keyed hash of a client address: comparable between rows, not reversible without the key."""
    key = hashlib.sha256(b"client-address:" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, client_address.encode(), hashlib.sha256).hexdigest()


def client_key() -> str:
    """The rate limiter's key for this request's client: the keyed hash of its address, never the
    address itself, which Flask-Limiter would log with every limit exceeded and Redis would keep."""
    return client_hash(request.remote_addr or "")


def init_app(app: Flask) -> None:
    """Read the client from X-Forwarded-For only for the configured hops, and watch for a mismatch."""
    hops = int(app.config["TRUSTED_PROXY_HOPS"] or 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.wsgi_app = HopsWatch(app.wsgi_app, hops)  # type: ignore[method-assign]


class HopsWatch:
    """Log one loud warning per process when the requests do not look like the configured proxies.

    With TRUSTED_PROXY_HOPS set, a request without X-Forwarded-For reached the
    app without passing a proxy: anyone who can do the same can write the
    header and choose their address. With it unset, a request that carries
    the header came through a proxy the app does not trust: every client
    looks like that proxy.
    """

    def __init__(self, wsgi_app: WSGIApplication, hops: int) -> None:
        """Wrap the app (outside ProxyFix, so that it sees the headers as they arrived)."""
        self.wsgi_app = wsgi_app
        self.hops = hops
        self.has_warned = False

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Look at the request's headers once, until a warning was given; then pass it on."""
        if not self.has_warned:
            self._check(environ)
        return self.wsgi_app(environ, start_response)

    def _check(self, environ: dict[str, Any]) -> None:
        """Warn (once) about a request that does not match TRUSTED_PROXY_HOPS."""
        if str(environ.get("PATH_INFO", "")).startswith(PROBE_PATHS):
            return
        forwarded = bool(environ.get("HTTP_X_FORWARDED_FOR"))
        if self.hops and not forwarded:
            self.has_warned = True
            log.warning(
                "TRUSTED_PROXY_HOPS=%d, but a request arrived without X-Forwarded-For: it did not pass "
                "through the proxy. If clients can reach this process directly, they can forge the header "
                "and choose their own address, and the flood rules and rate limits stop holding. Let only "
                "the proxy reach the app, or unset TRUSTED_PROXY_HOPS.",
                self.hops,
            )
        elif not self.hops and forwarded:
            self.has_warned = True
            log.warning(
                "A request arrived with X-Forwarded-For, but TRUSTED_PROXY_HOPS is not set: every client "
                "behind the proxy looks like the proxy itself, and the flood rules would hold them all "
                "together. Set TRUSTED_PROXY_HOPS to the number of proxies in front of the app."
            )
