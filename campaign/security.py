"""Headers every answer carries: a strict Content-Security-Policy and friends, and one
"never store" rule for every answer that is someone's own."""

from __future__ import annotations

from flask import Flask, Response, current_app, request, session

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


def init_app(app: Flask) -> None:
    """Add the security headers to every response."""
    is_https = app.config["BASE_URL"].startswith("https://")

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
        # A page that lets other sites frame it (the embed widget) says so in its own CSP;
        # X-Frame-Options cannot name who may frame, so such a page goes without it.
        own_policy = headers.get("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        skipped = set() if "frame-ancestors 'none'" in own_policy else {"X-Frame-Options"}
        headers.extend(
            (name, value) for name, value in security_headers if name not in headers and name not in skipped
        )
        if is_private(response):
            headers["Cache-Control"] = "no-store"
        return response


def is_private(response: Response) -> bool:
    """Tell whether an answer is someone's own, so that no browser or proxy may keep a copy.

    That is every API answer and every answer to a browser with a session
    (signed in, or in the middle of signing in) or given one now. A page
    its view declared public (the same bytes for every visitor) and the
    static files stay cacheable.
    """
    if request.endpoint == "static" or response.cache_control.public:
        return False
    if request.path.startswith("/api/"):
        return True
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies or session.modified
