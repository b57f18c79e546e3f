"""The front's limiter (deploy/nginx.conf): reads the cache cannot answer are budgeted per client,
cache hits and signatures never are.

nginx here takes the client's address from the X-Forwarded-For the test sends, as it would from a
CDN it trusts, so that one test can be many clients (tests/support/front.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from campaign.signing.models import Signature
from tests.support.front import Answer, Front, serving_front
from tests.test_nginx_front import FORM

# deploy/nginx.conf's budget for the shared pages: 10 a second, 50 at once.
SHARED_RATE, SHARED_BURST = 10, 50
OWN_PAGE = {"Origin": "", "Sec-Fetch-Site": "same-origin"}


@pytest.fixture(scope="module")
def front(app: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    with serving_front(tmp_path_factory.mktemp("nginx-limits"), trusted_client_header=True) as running:
        yield running


@pytest.fixture(scope="module")
def behind_own_proxy(app: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    """nginx as docker-compose runs it behind a TLS proxy on the host: told nothing of the proxy,
    which reaches it from loopback (or Docker's private network) and appends the client's address."""
    with serving_front(tmp_path_factory.mktemp("nginx-own-proxy")) as running:
        yield running


def as_client(address: str, **headers: str) -> dict[str, str]:
    return {"X-Forwarded-For": address, **headers}


def spend_budget(
    front: Front, addresses: list[str], path: str, *, forged: bool = False
) -> tuple[list[Answer], float]:
    """Ask for addresses nobody asked for before (`path` and a number: 0, 1, ...), from these
    clients in turn, until one is refused; the answers and the seconds it took. `forged`: each
    request also names another client in the header the front uses between its servers."""
    started, answers = time.monotonic(), []
    for number in range(400):
        headers = as_client(addresses[number % len(addresses)])
        if forged:
            headers["X-Campaign-Client"] = f"someone-{number}"
        answers.append(front.get(f"{path}{number}", headers=headers))
        if answers[-1].status == 429:
            break
    return answers, time.monotonic() - started


def within_one_budget(answered: int, elapsed: float) -> bool:
    """Whether this many answers fit one client's budget for the shared pages in that time (two
    clients' budgets would hold twice the burst)."""
    return SHARED_BURST <= answered <= SHARED_BURST + SHARED_RATE * elapsed + 1


def test_one_client_cannot_make_the_app_render_page_after_page(front, db, make_campaign):
    make_campaign(slug="limits-busted", title="Busted by queries")
    before = len(front.app.arrivals)
    # Each address unseen, so each a miss; a header naming another client changes nothing.
    answers, elapsed = spend_budget(front, ["203.0.113.7"], "/campaigns/limits-busted?x=", forged=True)
    rendered, refused = answers[:-1], answers[-1]
    assert refused.status == 429 and {a.status for a in rendered} == {200}
    assert within_one_budget(len(rendered), elapsed)
    # The app made only the pages that were answered.
    reached = [a for a in front.app.arrivals[before:] if a.path == "/campaigns/limits-busted"]
    assert len(reached) == len(rendered)
    # The refusal says why and when to come back, in the site's four languages, and is not kept:
    # another client (with a budget of its own) asking the same address gets the page.
    assert refused.headers["retry-after"] == "10" and refused.headers["cache-control"] == "no-store"
    text = refused.body.decode()
    assert "Too many requests" in text and "Trop de requêtes" in text
    assert "Слишком много запросов" in text and "Չափազանց շատ հարցումներ" in text
    again = front.get(f"/campaigns/limits-busted?x={len(answers) - 1}", headers=as_client("198.51.100.21"))
    assert again.status == 200 and b"Busted by queries" in again.body

    # The same client still reads what the cache keeps, and still signs.
    cached = front.get("/campaigns/limits-busted?x=0", headers=as_client("203.0.113.7"))
    assert cached.status == 200 and cached.headers["x-cache-status"] == "HIT"
    own_page = {**OWN_PAGE, "Origin": front.base_url}
    signed = front.post("/campaigns/limits-busted/sign", FORM, headers=as_client("203.0.113.7", **own_page))
    assert signed.status == 303
    db.session.expire_all()
    assert len(db.session.execute(select(Signature)).scalars().all()) == 1


def test_readers_behind_one_address_share_the_kept_page_without_limit(front, db, make_campaign):
    """A mobile network puts thousands of readers behind one address: they read the kept copy."""
    make_campaign(slug="limits-crowd")
    answers = [front.get("/campaigns/limits-crowd", headers=as_client("192.0.2.44")) for _ in range(300)]
    assert {a.status for a in answers} == {200}
    polls = "/campaigns/limits-crowd/count.json"
    count = [front.get(polls, headers=as_client("192.0.2.44")) for _ in range(300)]
    assert {a.status for a in count} == {200}


def test_a_page_that_does_not_exist_costs_the_same_budget(front, db):
    answers, elapsed = spend_budget(front, ["203.0.113.80"], "/campaigns/no-such-campaign-")
    assert answers[-1].status == 429 and {a.status for a in answers[:-1]} == {404}
    assert within_one_budget(len(answers) - 1, elapsed)


@pytest.mark.parametrize(
    ("first", "same_network", "other_network"),
    [
        ("2001:db8:1:2::1", "2001:db8:1:2:ffff:1:2:3", "2001:db8:1:3::1"),
        # The /64's zeros written as "::", or not, by how the rest of the address falls.
        ("2001:db8::1", "2001:db8:0:0:abcd:1:2:3", "2001:db8:0:1::1"),
        ("2001:db8:7::5", "2001:db8:7:0:1:2:3:4", "2001:db8:7:1:1:2:3:4"),
        ("2001::1", "2001:0:0:0:5:6:7:8", "2001:0:0:1::1"),
        ("2001::1:2:3:4:5", "2001:0:0:1:ffff::", "2001:0:0:2:1:2:3:4"),
    ],
)
def test_an_ipv6_network_is_one_client(front, db, first, same_network, other_network):
    """Whoever holds one IPv6 address holds its whole /64: a budget per address would be none."""
    path = f"/campaigns/no-such-{first.replace(':', '-')}-"
    answers, elapsed = spend_budget(front, [first, same_network], path)
    assert answers[-1].status == 429
    assert within_one_budget(len(answers) - 1, elapsed)
    assert front.get(f"{path}elsewhere", headers=as_client(other_network)).status == 404


def test_pages_each_signer_opens_have_room_for_a_crowd_behind_one_address(front, db, make_campaign):
    """The thank-you pages, confirmation links and receipts are made for each signer: one address
    may open many of them, faster than a person could, before it waits or is refused."""
    make_campaign(slug="limits-signers")
    answers = [
        front.get(path, headers=as_client("192.0.2.99"))
        for _ in range(45)
        for path in ("/campaigns/limits-signers/check-your-inbox", f"/confirm/no-token-{time.monotonic_ns()}")
    ]
    assert 429 not in {a.status for a in answers}
    assert {a.status for a in answers[::2]} == {200}


def test_the_app_sees_the_reader_the_front_saw(front, db, make_campaign):
    """Through the limiter the app is told the client once (one hop, TRUSTED_PROXY_HOPS=1), the
    request's id, and nothing of the limiter's own."""
    make_campaign(slug="limits-hops")
    before = len(front.app.arrivals)
    inbox = "/campaigns/limits-hops/check-your-inbox"
    answer = front.get(inbox, headers=as_client("198.51.100.61"))
    assert answer.status == 200
    [arrival] = [a for a in front.app.arrivals[before:] if a.path == inbox]
    assert arrival.headers["x-forwarded-for"].split(",")[-1].strip() == "198.51.100.61"
    assert "127.0.0.1" not in arrival.headers["x-forwarded-for"]
    assert arrival.headers["x-request-id"] == answer.headers["x-request-id"]
    assert "x-campaign-client" not in arrival.headers
    # A POST goes to the app straight, as it was.
    front.post("/campaigns/limits-hops/sign", FORM, headers=as_client("198.51.100.61"))
    [posted] = [a for a in front.app.arrivals[before:] if a.path == "/campaigns/limits-hops/sign"]
    assert posted.headers["x-forwarded-for"].split(",")[-1].strip() == "198.51.100.61"
    assert "x-campaign-client" not in posted.headers


def test_clients_behind_a_proxy_of_ours_each_have_their_own_budget(behind_own_proxy, db):
    """Behind a TLS proxy on the host every connection comes from one address: budgeted by it,
    the proxy's readers would share one budget. The client is the address it appended."""
    front = behind_own_proxy
    answers, elapsed = spend_budget(front, ["192.0.2.10"], "/campaigns/no-such-behind-proxy-")
    assert answers[-1].status == 429 and within_one_budget(len(answers) - 1, elapsed)
    # What the client wrote itself before the proxy's entry changes nothing.
    forged = front.get("/campaigns/no-such-x", headers=as_client("192.0.2.200, 192.0.2.10"))
    assert forged.status == 429
    assert front.get("/campaigns/no-such-y", headers=as_client("192.0.2.11")).status == 404


@pytest.mark.parametrize(
    ("spellings", "someone_else"),
    [
        (["192.0.2.30:1111", "192.0.2.30:2222", "192.0.2.30"], "192.0.2.31:1111"),
        (["[2001:db8:9::1]:443", "[2001:db8:9::2]:80"], "[2001:db8:10::1]:443"),
    ],
)
def test_the_port_a_proxy_of_ours_appends_is_no_new_client(behind_own_proxy, db, spellings, someone_else):
    """Some proxies append the client's port too: each connection would be a client of its own."""
    path = f"/campaigns/no-such-port-{spellings[0][:6]}-"
    answers, elapsed = spend_budget(behind_own_proxy, spellings, path)
    assert answers[-1].status == 429 and within_one_budget(len(answers) - 1, elapsed)
    assert behind_own_proxy.get(f"{path}else", headers=as_client(someone_else)).status == 404


def test_a_client_of_its_own_cannot_choose_who_it_is(front, db):
    """Reaching nginx from a public address, a client's X-Forwarded-For is its own claim: a fresh
    one on every request buys no fresh budget."""
    claims = [f"10.9.{number // 250}.{number % 250 + 1}, 203.0.113.90" for number in range(400)]
    answers, elapsed = spend_budget(front, claims, "/campaigns/no-such-claim-")
    assert answers[-1].status == 429 and within_one_budget(len(answers) - 1, elapsed)
