"""Public pages compressed by the app, once, for caches and readers; a person's own pages never
(campaign/compression.py)."""

import gzip

import brotli
import pytest

from tests.campaigns.test_cache_friendly import fetch_twice

ARMENIAN_TITLE = "Ճանաչե՛ք Արցախը"  # noqa: RUF001


@pytest.mark.parametrize("path", ["/", "/campaigns/compressed", "/campaigns/compressed?lang=hy"])
def test_a_public_page_comes_compressed_to_a_reader_who_takes_gzip(app, db, make_campaign, path):
    make_campaign(slug="compressed", title=ARMENIAN_TITLE)
    plain, packed = _plain_and(app, path, "gzip")
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"] and "Cookie" not in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert ARMENIAN_TITLE in plain.data.decode()
    # Under half the bytes (a quarter for the full campaign page): what a surge's readers, and a
    # slow network, are spared.
    assert len(packed.data) * 2 < len(plain.data)
    assert packed.cache_control.public and "Set-Cookie" not in packed.headers


def test_a_reader_straight_to_the_app_may_get_brotli(app, db, make_campaign):
    """Without the front (make run), a browser's own choice of encoding is honoured."""
    make_campaign(slug="compressed-br")
    plain, packed = _plain_and(app, "/campaigns/compressed-br", "gzip, deflate, br")
    assert packed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(packed.data) == plain.data


def test_a_page_with_a_secret_of_its_readers_is_never_compressed(app, db):
    """A CSRF token beside text an attacker can choose: compressed, its length would tell the token
    a byte at a time (BREACH)."""
    answer = app.test_client().get("/login?next=/organize/", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and b"csrf_token" in answer.data
    assert "Content-Encoding" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_small_answer_is_left_as_it_is(app, db, make_campaign):
    make_campaign(slug="compressed-count")
    path = "/campaigns/compressed-count/count.json"
    answer = app.test_client().get(path, headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and "Content-Encoding" not in answer.headers
    assert answer.get_json()["count"] == 0


def _plain_and(app, path, encodings):
    """The page as a reader without compression gets it, and as one taking `encodings`, made in
    the same second (the page carries the second it was made in)."""
    for _attempt in range(5):
        plain, _same = fetch_twice(app, path)
        packed = app.test_client().get(path, headers={"Accept-Encoding": encodings})
        again = app.test_client().get(path)
        if plain.data == again.data:
            return plain, packed
    raise AssertionError("the page changed on every attempt")
