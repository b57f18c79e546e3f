"""Public pages compressed once, by the app, for every cache and reader after it.

The campaign page is some 22 KB of HTML, and a surge reads it tens of thousands of times a second
through the front: some 5 Gbit/s uncompressed, beyond most hosts' links before their CPU. Compressed
it is about a quarter of that, and a page on a slow mobile network arrives in a quarter of the time.
The front (deploy/nginx.conf) asks the app for gzip and keeps the compressed copy, so the app
compresses a page once per expiry, not per reader; nginx unpacks it for the rare client that does
not take gzip.

Only public answers (Cache-Control: public, the same bytes for everyone) are compressed: a page that
holds a secret of its reader's (a CSRF token, a confirmation token) beside text an attacker can
choose would let its compressed length tell the secret, a byte at a time (BREACH). Flask-Compress
chooses the encoding from Accept-Encoding and compresses; this module only says which answers.
"""

from __future__ import annotations

from flask import Flask, Response
from flask_compress import Compress

from campaign import security

compress = Compress()


def init_app(app: Flask) -> None:
    """Compress public answers (call before security.init_app, so that this runs after it has
    turned a public answer that would set a cookie into no-store)."""
    app.config.setdefault("COMPRESS_REGISTER", False)
    # What a public page is: HTML, JSON, the ledger's text and the verifier's Python.
    app.config.setdefault(
        "COMPRESS_MIMETYPES", ["text/html", "application/json", "text/plain", "text/x-python"]
    )
    compress.init_app(app)

    @app.after_request
    def compress_public(response: Response) -> Response:
        """Compress an answer that is the same for everyone, when the reader takes it so."""
        if security.is_public(response):
            return compress.after_request(response)
        return response
