"""The production front: Debian's nginx with deploy/nginx.conf, before the app served over HTTP
(tests/support/front.py): what it keeps, for whom, and what it passes on."""

from __future__ import annotations

import gzip
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from campaign import links
from campaign.i18n import LANGUAGES
from campaign.ledger.heads import publish_heads
from campaign.ledger.receipt_ids import receipt_for
from campaign.mail.models import OutboxMessage
from campaign.signing.models import Signature
from tests.ledger.test_receipts import confirm_and_follow
from tests.support.counts import fold_all
from tests.support.front import Front, serving_front
from tests.support.run import ROOT
from tests.support.waiting import wait_until

FORM = {
    "given_name": "Anahit",
    "family_name": "Petrosyan",
    "email": "anahit.front@example.org",
    "country": "AM",
    "postal_code": "0010",
}


@pytest.fixture(scope="module")
def front(app: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    """nginx (Debian's) before the app, the app trusting one proxy hop and addressed through nginx."""
    with serving_front(tmp_path_factory.mktemp("nginx")) as running:
        yield running


@pytest.fixture
def short_lived_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Public pages kept one second by caches (five in production), so that a test sees them expire."""
    from campaign import security

    monkeypatch.setattr(security, "PUBLIC_MAX_AGE", 1)


def test_static_files_are_served_by_nginx_with_long_cache_headers(front):
    answer = front.get("/static/css/site.css")
    assert answer.status == 200
    assert answer.body == (ROOT / "static" / "css" / "site.css").read_bytes()
    assert answer.headers["content-type"].startswith("text/css")
    assert "max-age=3600" in answer.headers["cache-control"] and "public" in answer.headers["cache-control"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    # Not the app's answer: the app would add its Content-Security-Policy to every file.
    assert "content-security-policy" not in answer.headers
    assert front.get("/static/no-such-file.css").status == 404


def test_static_files_go_compressed_to_readers_who_take_gzip(front):
    """As compressed once beside themselves (make static-gz), not by nginx on every request."""
    script = "/static/vendor/altcha/altcha.min.js"
    source = (ROOT / script.lstrip("/")).read_bytes()
    packed = front.get(script, headers={"Accept-Encoding": "gzip, deflate, br"})
    plain = front.get(script)
    assert packed.headers["content-encoding"] == "gzip" and "Accept-Encoding" in packed.headers["vary"]
    assert gzip.decompress(packed.body) == plain.body == source
    assert "content-encoding" not in plain.headers and len(packed.body) * 2 < len(source)
    assert "max-age=3600" in packed.headers["cache-control"]


def test_each_compressed_static_file_is_its_source_compressed():
    """A .gz left behind by a change to its source would give gzip readers the old file."""
    folder = ROOT / "static"
    sources = {p for pattern in ("*.css", "*.js", "*.svg") for p in folder.rglob(pattern)}
    packed = set(folder.rglob("*.gz"))
    assert {Path(f"{p}.gz") for p in sources} == packed, "run `make static-gz` and commit the .gz files"
    stale = [p.name for p in sources if gzip.decompress(Path(f"{p}.gz").read_bytes()) != p.read_bytes()]
    assert stale == [], "run `make static-gz` and commit the .gz files"


def test_the_campaign_page_is_served_from_the_cache_on_a_second_request(front, db, make_campaign):
    make_campaign(slug="front-cached", title="Cached at the front")
    first = front.get("/campaigns/front-cached")
    second = front.get("/campaigns/front-cached")
    assert first.status == second.status == 200
    assert first.headers["x-cache-status"] == "MISS"
    assert second.headers["x-cache-status"] == "HIT"
    assert second.body == first.body and b"Cached at the front" in second.body
    assert "set-cookie" not in second.headers
    # Each answer names its own request id, even one served from the cache.
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    count = [front.get("/campaigns/front-cached/count.json") for _ in range(2)]
    assert [c.headers["x-cache-status"] for c in count] == ["MISS", "HIT"]


def test_the_ended_list_and_the_feeds_are_kept_at_the_front_like_the_home_page(front, db, make_campaign):
    from campaign import clock
    from campaign.campaigns.models import CampaignStatus

    make_campaign(slug="front-ended", status=CampaignStatus.CLOSED, closed_at=clock.now())
    answers = [front.get("/ended") for _ in range(2)]
    assert [a.status for a in answers] == [200, 200]
    assert [a.headers["x-cache-status"] for a in answers] == ["MISS", "HIT"]
    assert b'href="/campaigns/front-ended"' in answers[1].body
    # Their feeds too: a feed reader polls every few minutes, thousands of them the same copy.
    for path in ("/ended.atom", "/feed.atom"):
        feeds = [front.get(path) for _ in range(2)]
        assert [f.headers["x-cache-status"] for f in feeds] == ["MISS", "HIT"], path
    assert b'<link rel="alternate" type="text/html" href="http' in feeds[1].body


def test_each_language_is_kept_apart(front, db, make_campaign):
    make_campaign(slug="front-languages")
    english = front.get("/campaigns/front-languages")
    armenian = front.get("/campaigns/front-languages?lang=hy")
    french = front.get("/campaigns/front-languages", headers={"Accept-Language": "fr"})
    assert b'lang="en"' in english.body and b'lang="hy"' in armenian.body and b'lang="fr"' in french.body
    again = front.get("/campaigns/front-languages", headers={"Accept-Language": "fr"})
    assert again.headers["x-cache-status"] == "HIT" and b'lang="fr"' in again.body
    assert b'lang="en"' in front.get("/campaigns/front-languages").body


def test_browsers_that_prefer_one_language_share_its_copy_however_they_spell_it(front, db, make_campaign):
    """Browsers send many spellings of one preference (their region, their other languages, their
    weights): the cache keeps a copy per language we ship, not per spelling, or a surge of readers
    would reach the app once per spelling every few seconds."""
    make_campaign(slug="front-spellings")
    path = "/campaigns/front-spellings"
    armenian = [
        "hy-AM,hy;q=0.9,en-US;q=0.8,en;q=0.7",
        "hy",
        "HY-am",
        "hy-AM, ru;q=0.5",
        "de-DE,de;q=0.9,hy;q=0.8,en;q=0.5",  # German first, which we do not ship: Armenian is the best
        "en;q=0, hy",  # English refused outright
    ]
    answers = [front.get(path, headers={"Accept-Language": spelling}) for spelling in armenian]
    assert all(b'lang="hy"' in a.body for a in answers)
    assert [a.headers["x-cache-status"] for a in answers] == ["MISS"] + ["HIT"] * (len(armenian) - 1)
    # Browsers and caches further out are still told that the page differs by language.
    assert "accept-language" in answers[0].headers["vary"].lower()

    russian = front.get(path, headers={"Accept-Language": "ru-RU,ru;q=0.9,hy;q=0.8,en-US;q=0.7"})
    assert b'lang="ru"' in russian.body and russian.headers["x-cache-status"] == "MISS"
    french = front.get(path, headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    assert b'lang="fr"' in french.body
    # None of ours, or no header: English, one copy.
    german = front.get(path, headers={"Accept-Language": "de-DE,de;q=0.9"})
    plain = front.get(path)
    assert b'lang="en"' in german.body and b'lang="en"' in plain.body
    assert plain.headers["x-cache-status"] == "HIT"
    # A language refused with a weight of zero is passed over; otherwise the first listed is taken
    # (browsers list the most wanted first), whatever its weight.
    refused = front.get(path, headers={"Accept-Language": "ru;q=0.000, fr;q=0.1"})
    assert b'lang="fr"' in refused.body
    faint = front.get(path, headers={"Accept-Language": "ru;q=0.001, fr"})
    assert b'lang="ru"' in faint.body
    # The address's own language still wins over the browser's.
    chosen = front.get(path + "?lang=fr", headers={"Accept-Language": "hy"})
    assert b'lang="fr"' in chosen.body


def test_the_front_knows_every_language_the_app_ships():
    """deploy/nginx.conf names the languages it keys the cache on: the app's, no more, no fewer."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    named = re.search(r"map \$campaign_language_tag \$campaign_language \{(.*?)\}", conf, re.S)
    assert named is not None
    assert set(re.findall(r"\^(\w+)\$", named.group(1))) == set(LANGUAGES)
    [tags] = re.findall(r"\(\?:\^\|,\)\\s\*\(([\w|]+)\)", conf)
    assert set(tags.split("|")) == set(LANGUAGES)


def test_readers_of_a_shared_link_share_its_copy_whatever_click_id_they_carry(front, db, make_campaign):
    """A link shared on a social network reaches each reader with a click id of their own appended
    (fbclid=...): the cache keys on the address without them, or every reader would reach the app."""
    make_campaign(slug="front-shared")
    path = "/campaigns/front-shared?source=facebook"
    clicks = [front.get(f"{path}&fbclid=IwAR{n}") for n in range(3)]
    clicks += [front.get(f"{path}&utm_medium=social&gclid=Cj0K{n}") for n in range(2)]
    assert [c.headers["x-cache-status"] for c in clicks] == ["MISS"] + ["HIT"] * 4
    assert all(b'name="source" type="hidden" value="facebook"' in c.body for c in clicks)
    assert not any(b"IwAR" in c.body or b"Cj0K" in c.body for c in clicks)
    # Another source is another copy; so is the address with no parameter of ours.
    other = front.get("/campaigns/front-shared?source=newsletter&fbclid=IwAR9")
    assert other.headers["x-cache-status"] == "MISS" and b'value="newsletter"' in other.body
    bare = [front.get("/campaigns/front-shared?fbclid=IwAR7"), front.get("/campaigns/front-shared")]
    assert [b.headers["x-cache-status"] for b in bare] == ["MISS", "HIT"]
    # A mailer appends two of its own (the campaign's, the recipient's): up to three come off.
    mailed = [front.get(f"{path}&utm_source=mail&mc_cid=c1&mc_eid={n}") for n in range(2)]
    assert [m.headers["x-cache-status"] for m in mailed] == ["HIT", "HIT"]
    # A parameter of ours after a click id keeps the whole address as the key (a copy of its own).
    odd = front.get("/campaigns/front-shared?fbclid=IwAR8&source=facebook")
    assert odd.headers["x-cache-status"] == "MISS" and b'value="facebook"' in odd.body


def test_the_front_strips_the_same_click_ids_the_app_ignores():
    """deploy/nginx.conf's list of tracking parameters is campaign/links.py's."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    lists = re.findall(r"\(\?:([\w|\[\]+-]+)\)=\[\^&\]\*\$", conf)
    assert len(lists) == 6  # two patterns in each of the three maps that take one off the end
    for names in lists:
        assert set(names.split("|")) == links.TRACKING_PARAMETERS | {links.TRACKING_PREFIX + "[a-z_]+"}


def test_an_answer_that_differs_by_more_than_the_language_is_not_shared(
    front, db, make_campaign, sign, client
):
    """A receipt is a page or its JSON proof by the Accept header: nginx keeps no copy that a
    verifier asking for JSON could be given in place of the page."""
    make_campaign(slug="front-receipt")
    sign("front-receipt")
    confirm_and_follow(client, db)
    fold_all(db)
    publish_heads()
    [signature] = db.session.execute(select(Signature)).scalars().all()
    receipt = receipt_for(signature.id)
    path = f"/campaigns/front-receipt/receipts/{receipt}"
    page = front.get(path, headers={"Accept": "text/html"})
    proof = front.get(path, headers={"Accept": "application/json"})
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert proof.status == 200 and json.loads(proof.body)["receipt"] == receipt
    again = front.get(path, headers={"Accept": "text/html"})
    assert again.headers["content-type"].startswith("text/html")


def test_the_page_stays_up_while_the_app_is_stopped(front, db, make_campaign, short_lived_pages):
    make_campaign(slug="front-stale", title="Up while the app restarts")
    assert front.get("/campaigns/front-stale").status == 200
    front.app.stop()
    try:
        time.sleep(1.5)  # the copy is past its max-age (one second)...

        # ...by nginx's clock, which a loaded machine may read late: ask until it says so.
        def past_max_age() -> Any:
            """The page as nginx serves it, once its copy is no longer fresh; None while it is."""
            answer = front.get("/campaigns/front-stale")
            return answer if answer.headers["x-cache-status"] != "HIT" else None

        stale = wait_until(past_max_age, timeout=10)
        assert stale.status == 200 and b"Up while the app restarts" in stale.body
        assert stale.headers["x-cache-status"] == "STALE"
        assert front.get("/campaigns/front-stale/count.json").status == 502  # never cached: nothing to show
    finally:
        front.app.start()
    wait_until(lambda: front.get("/campaigns/front-stale").headers.get("x-cache-status") != "STALE")


def test_a_signature_passes_through_and_is_never_cached(front, db, make_campaign):
    make_campaign(slug="front-sign")
    page = front.get("/campaigns/front-sign")
    assert page.status == 200
    own_page = {"Origin": front.base_url, "Sec-Fetch-Site": "same-origin"}
    signed = front.post("/campaigns/front-sign/sign", FORM, headers=own_page)
    assert signed.status == 303
    assert signed.headers["location"].endswith("/campaigns/front-sign/check-your-inbox")
    assert "x-cache-status" not in signed.headers and "set-cookie" not in signed.headers
    forged = front.post(
        "/campaigns/front-sign/sign",
        {**FORM, "email": "forged@example.org"},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert forged.status == 403
    db.session.expire_all()
    [signature] = db.session.execute(select(Signature)).scalars().all()
    assert len(signature.client_hash) == 64
    assert len(db.session.execute(select(OutboxMessage)).scalars().all()) == 1


def test_an_answer_that_sets_a_cookie_is_never_cached(front, db):
    answers = [front.get("/login") for _ in range(3)]
    assert all(a.status == 200 and "set-cookie" in a.headers for a in answers)
    assert all(a.headers["cache-control"] == "no-store" for a in answers)
    assert [a.headers["x-cache-status"] for a in answers] == ["MISS", "MISS", "MISS"]
    # Each visitor gets a session (and CSRF token) of their own.
    assert len({a.headers["set-cookie"] for a in answers}) == 3


def test_a_request_body_over_the_limit_is_refused_before_the_app(front, db, make_campaign):
    make_campaign(slug="front-limit")
    too_big = front.post("/campaigns/front-limit/sign", {**FORM, "comment": "x" * (65 * 1024)})
    assert too_big.status == 413
    # The organizers' forms may carry more: nginx lets it through, and the app answers (sign in first).
    long_text = front.post("/organize/campaigns/new", {"body_markdown": "x" * (100 * 1024)})
    assert long_text.status != 413
    db.session.expire_all()
    assert db.session.execute(select(Signature)).first() is None


def test_the_access_log_keeps_no_client_address_query_or_personal_token(front, db):
    front.get("/my/a-personal-token-123?lang=fr")
    front.get("/stop-email/a-stop-token-456")
    front.get("/password/reset/a-reset-token-789")
    front.get("/campaigns/nowhere?source=newsletter-42")
    logged = wait_until(
        lambda: "/campaigns/nowhere" in front.access_log.read_text() and front.access_log.read_text()
    )
    assert '"GET /my/... HTTP/1.1"' in logged and '"GET /stop-email/... HTTP/1.1"' in logged
    assert '"GET /password/reset/... HTTP/1.1"' in logged
    secrets = ("a-personal-token-123", "a-stop-token-456", "a-reset-token-789", "newsletter-42", "lang=fr")
    assert not [secret for secret in secrets if secret in logged]
    assert "127.0.0.1" not in logged


def test_docker_compose_fills_in_every_placeholder_of_the_front():
    """The official image fills in only the variables its environment sets: one left out would
    reach nginx as written, and nginx would not start."""
    import yaml

    from bench.front import PLACEHOLDERS

    written = set(re.findall(r"\$\{(CAMPAIGN_[A-Z_]+)\}", (ROOT / "deploy" / "nginx.conf").read_text()))
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert set(compose["services"]["nginx"]["environment"]) == written == set(PLACEHOLDERS)


def test_the_front_keeps_one_compressed_copy_for_every_reader(front, db, make_campaign):
    """The app compresses the page once; nginx serves that copy to readers who take gzip (behind a
    proxy too) and unpacks it for those who do not."""
    make_campaign(slug="front-gzip", title="Compressed once")
    before = len(front.app.arrivals)
    packed = front.get("/campaigns/front-gzip", headers={"Accept-Encoding": "gzip, deflate, br"})
    plain = front.get("/campaigns/front-gzip")
    proxied = front.get(
        "/campaigns/front-gzip", headers={"Accept-Encoding": "gzip", "Via": "1.1 office-proxy"}
    )
    assert packed.status == plain.status == proxied.status == 200
    assert packed.headers["content-encoding"] == proxied.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(packed.body) == plain.body and b"Compressed once" in plain.body
    assert proxied.body == packed.body and len(packed.body) * 3 < len(plain.body)
    assert [plain.headers["x-cache-status"], proxied.headers["x-cache-status"]] == ["HIT", "HIT"]
    [made] = [a for a in front.app.arrivals[before:] if a.path == "/campaigns/front-gzip"]
    assert made.headers["accept-encoding"] == "gzip"
