"""Headers every answer carries: a strict Content-Security-Policy and friends, one "never store"
rule for every answer that is someone's own, how long a shared cache may keep a public page, and
the origin check of the forms that post without a cookie (the sign form and the widget).
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, request, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_babel import gettext as _
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import ResponseCacheControl

# A public page (the same bytes for everyone in a language) may be kept by a shared cache (nginx, a
# CDN) for a few seconds, served stale for a while as it fetches the next copy, and served stale
# for a day while the app cannot answer (a restart, an outage): the page stays up.
PUBLIC_MAX_AGE = 5
PUBLIC_STALE_WHILE_REVALIDATE = 30
PUBLIC_STALE_IF_ERROR = 86400
# What Sec-Fetch-Site may say of a post we take: from our own page, or typed/bookmarked by the user.
OWN_FETCH_SITES = frozenset({"same-origin", "none"})
DEFAULT_PORTS = {"http": 80, "https": 443}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def policy_framed_by(sources: str) -> str:
    """The same policy, except that the pages of these frame-ancestors sources may frame the page."""
    return CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", f"frame-ancestors {sources}")


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, its signer made once per key: Flask makes a new one each time
    a request opens or saves its session, whether or not it carries a cookie."""

    _made_for: tuple[object, ...] | None = None
    _signer: URLSafeTimedSerializer | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """The signer for the app's SECRET_KEY and SECRET_KEY_FALLBACKS as they are now."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys != self._made_for:
            self._signer = super().get_signing_serializer(app)
            self._made_for = keys
        return self._signer

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's, except that a public answer does not say Vary: Cookie.

        Flask says it of every answer whose session was read, and is_private reads it. But a
        public answer is the same bytes whatever the reader's cookies (one that would set a cookie
        was made no-store), and a cache that honours Vary would keep a copy per reader's cookies.
        """
        super().save_session(app, session, response)
        if is_public(response) and "Vary" in response.headers:
            # Not response.vary.discard("Cookie"): werkzeug 3.1's HeaderSet.remove drops only the
            # lowercase spelling from the header it writes back.
            kept = [value for value in response.vary if value.lower() != "cookie"]
            if kept:
                response.headers["Vary"] = ", ".join(kept)
            else:
                del response.headers["Vary"]


def init_app(app: Flask) -> None:
    """Add the security headers to every response."""
    is_https = app.config["BASE_URL"].startswith("https://")
    app.session_interface = SessionCookies()

    security_headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        # Confirmation links carry tokens: they must never leave in a Referer.
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if is_https:
        security_headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        """Add the headers every answer carries; a view that set one of them itself keeps its own."""
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        # A page that lets other sites frame it (the embed widget) says so in its own CSP;
        # X-Frame-Options cannot name who may frame, so such a page goes without it.
        if "content-security-policy" in present and "frame-ancestors 'none'" not in str(
            headers.get("Content-Security-Policy")
        ):
            present.add("x-frame-options")
        headers.extend([(name, value) for name, value in security_headers if name.lower() not in present])
        if is_private(response):
            headers["Cache-Control"] = "no-store"
        if "no-store" in _directives(headers.get("Cache-Control")):
            # A page of one's own (its link may hold a token) is never listed by a search engine,
            # even once its link was posted somewhere public.
            headers["X-Robots-Tag"] = "noindex, nofollow"
        return response


def public(response: Response, max_age: int | None = None) -> Response:
    """Let browsers and shared caches keep this answer (the same bytes for every visitor) briefly."""
    response.headers["Cache-Control"] = public_cache_control(PUBLIC_MAX_AGE if max_age is None else max_age)
    return response


@functools.lru_cache(maxsize=64)
def public_cache_control(max_age: int, stale_while_revalidate: int = PUBLIC_STALE_WHILE_REVALIDATE) -> str:
    """The Cache-Control of a public answer, written once (werkzeug writes the whole header again at
    each directive set on response.cache_control)."""
    control = ResponseCacheControl()
    control.public = True
    control.max_age = max_age
    control.stale_while_revalidate = stale_while_revalidate
    control.stale_if_error = PUBLIC_STALE_IF_ERROR
    return control.to_header()


def private(response: Response) -> Response:
    """Let no browser or proxy keep this answer: for a page that is someone's own even without a
    session (one reached by a link with a token in it), or that must never be replayed from a cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def is_private(response: Response) -> bool:
    """Tell whether an answer is someone's own, so that no browser or proxy may keep a copy.

    That is every API answer and every answer to a browser with a session
    (signed in, or in the middle of signing in) or given one now. A page
    its view declared public (the same bytes for every visitor) and the
    static files stay cacheable.
    """
    if request.endpoint == "static":
        return False
    if is_public(response):
        # A public answer must set no cookie: a shared cache would hand it to everyone.
        return current_app.session_interface.should_set_cookie(current_app, session)
    if request.path.startswith("/api/"):
        return True
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies or session.modified


def is_public(response: Response) -> bool:
    """Whether an answer says it is the same for everyone (Cache-Control: public)."""
    return "public" in _directives(response.headers.get("Cache-Control"))


@functools.lru_cache(maxsize=64)
def _directives(cache_control: str | None) -> frozenset[str]:
    """The directives' names of a Cache-Control header (the few that views write, parsed once each)."""
    if not cache_control:
        return frozenset()
    return frozenset(part.partition("=")[0].strip().lower() for part in cache_control.split(","))


def origin_of(url: str | None) -> str | None:
    """The origin (scheme://host[:port], lowercase, default port left out) of a URL; None if it has none."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    shown_port = "" if port is None or port == DEFAULT_PORTS[scheme] else f":{port}"
    return f"{scheme}://{parts.hostname.lower()}{shown_port}"


def own_origins() -> set[str | None]:
    """Our origins: BASE_URL's, and the one this request was addressed to (as the trusted proxies say)."""
    return {origin_of(current_app.config["BASE_URL"]), origin_of(request.host_url)} - {None}


def is_same_origin_post() -> bool:
    """Tell whether this POST came from one of our own pages, as the browser says (OWASP: standard headers).

    Sec-Fetch-Site when the browser sends it (every current one does):
    same-origin, or none (the user's own action); otherwise the Origin
    header ("null" included) must be ours; otherwise the Referer's origin.
    A post that carries none of the three is taken: no browser running a
    forged form on another site sends none of them, and refusing would lock
    out the old browsers and privacy tools that strip them (docs/SECURITY.md).
    """
    # An empty header says nothing (some privacy tools blank the Referer rather than drop it).
    fetch_site = request.headers.get("Sec-Fetch-Site", "").strip().lower()
    if fetch_site:
        return fetch_site in OWN_FETCH_SITES
    for header in ("Origin", "Referer"):
        value = request.headers.get(header, "").strip()
        if value:
            return origin_of(value) in own_origins()
    return True


def refuse_cross_site_post() -> None:
    """Answer 403 with a clear page unless this POST came from one of our own pages."""
    if not is_same_origin_post():
        abort(403, _("This form can only be sent from its own page."))
