"""Confirmation tokens are opaque: they tell nobody which signature, or how many came before it."""

from __future__ import annotations

import base64
import re

from itsdangerous import URLSafeTimedSerializer

from campaign.signing.tokens import check_confirmation_token, confirmation_token
from tests.support.outbox import bodies


def _decoded(token: str) -> bytes:
    """The token's bytes, as anyone holding the link could read them."""
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def test_a_token_does_not_contain_the_signature_id_and_still_names_it(app):
    with app.test_request_context():
        first, second = confirmation_token(123456), confirmation_token(123457)
        again = confirmation_token(123456)
        assert "123456" not in first and b"123456" not in _decoded(first)
        assert first != again  # nothing to compare between links either
        # Neighbouring ids give tokens that share nothing but their version byte and rough time.
        assert _decoded(first)[9:] != _decoded(second)[9:]
        assert check_confirmation_token(first).signature_id == 123456
        assert check_confirmation_token(second).signature_id == 123457
        assert check_confirmation_token(first).is_valid


def test_the_link_in_the_email_is_opaque_and_confirms(db, client, make_campaign, sign):
    make_campaign(slug="recognize")
    sign("recognize")
    token = re.search(r"/confirm/(\S+)", bodies(db)[0]).group(1)
    assert "." not in token and not re.fullmatch(r"\d+", token)
    assert client.get(f"/confirm/{token}").status_code == 200


def test_an_altered_or_foreign_token_names_nothing(app):
    with app.test_request_context():
        token = confirmation_token(42)
        flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
        assert check_confirmation_token(flipped).signature_id is None
        assert check_confirmation_token("not-a-token").signature_id is None
        assert check_confirmation_token("用户").signature_id is None


def test_links_mailed_before_tokens_were_opaque_still_work_until_they_expire(app):
    with app.test_request_context():
        legacy = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="confirm-signature").dumps(7)
        assert check_confirmation_token(legacy).signature_id == 7
        app.config["CONFIRM_TOKEN_MAX_AGE"] = -1
        try:
            expired = check_confirmation_token(confirmation_token(7))
            assert expired.is_expired and expired.signature_id == 7 and not expired.is_valid
            assert check_confirmation_token(legacy).is_expired
        finally:
            app.config["CONFIRM_TOKEN_MAX_AGE"] = 14 * 24 * 3600
