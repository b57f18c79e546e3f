"""Behind N trusted proxies the client is the last N hops of X-Forwarded-For; a forged hop buys nothing."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select

from campaign.signing.models import Signature, SignatureStatus
from tests.support.forms import csrf_token

PROXY = "10.0.0.2"  # the proxy in front of the app, as the app sees it


@pytest.fixture
def behind_one_proxy(app: Any, db: Any) -> Any:
    """The app as deployed behind one proxy, on the tests' database and Redis."""
    from campaign import create_app

    return create_app({"TESTING": True, "TRUSTED_PROXY_HOPS": 1})


def sign_through_proxy(browser: Any, forwarded_for: str, email: str) -> Any:
    """Post the sign form through the proxy, which appends the address it was called from."""
    headers = {"X-Forwarded-For": forwarded_for}
    where = {"REMOTE_ADDR": PROXY}
    page = browser.get("/campaigns/recognize", headers=headers, environ_base=where)
    form = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "given_name": "Anahit",
        "family_name": "Petrosyan",
        "email": email,
        "country": "AM",
    }
    return browser.post("/campaigns/recognize/sign", data=form, headers=headers, environ_base=where)


def test_a_forged_first_hop_never_buys_a_fresh_bucket(behind_one_proxy, db, make_campaign):
    make_campaign(slug="recognize")
    browser = behind_one_proxy.test_client()
    # The client writes a new address of its own each time; the proxy appends the real one.
    forged = [f"203.0.{n}.{n + 1}, 198.51.100.7" for n in range(8)]
    answers = [sign_through_proxy(browser, hops, f"bot{n}@example.net") for n, hops in enumerate(forged)]

    assert {answer.status_code for answer in answers} == {303}
    rows = db.session.execute(select(Signature).order_by(Signature.id)).scalars().all()
    assert len({row.client_hash for row in rows}) == 1
    assert len({row.client_range_hash for row in rows}) == 1
    assert [row.status for row in rows] == [SignatureStatus.PENDING] * 5 + [SignatureStatus.FRAUDULENT] * 3
    # Someone else behind the same proxy is a client of their own.
    sign_through_proxy(browser, "192.0.2.30", "person@gmail.com")
    person = db.session.execute(select(Signature).where(Signature.id > rows[-1].id)).scalar_one()
    assert person.status == SignatureStatus.PENDING and person.client_hash != rows[0].client_hash


def test_a_request_that_bypassed_the_proxy_is_warned_about_once(behind_one_proxy, db, make_campaign, caplog):
    make_campaign(slug="recognize")
    browser = behind_one_proxy.test_client()
    with caplog.at_level(logging.WARNING, logger="campaign.proxies"):
        browser.get("/healthz")  # probes call the process directly: no warning for them
        assert not caplog.records
        browser.get("/campaigns/recognize", headers={"X-Forwarded-For": "192.0.2.1"})
        assert not caplog.records
        browser.get("/campaigns/recognize")
        browser.get("/campaigns/recognize")
    [warning] = caplog.records
    assert warning.levelno == logging.WARNING
    assert "TRUSTED_PROXY_HOPS=1" in warning.getMessage()
    assert "without X-Forwarded-For" in warning.getMessage()


def test_an_untrusted_proxy_is_warned_about_and_its_header_ignored(app, db, make_campaign, caplog):
    from campaign import create_app

    make_campaign(slug="recognize")
    direct = create_app({"TESTING": True, "TRUSTED_PROXY_HOPS": 0})
    browser = direct.test_client()
    with caplog.at_level(logging.WARNING, logger="campaign.proxies"):
        for n in range(2):
            sign_through_proxy(browser, f"198.51.{n}.7", f"someone{n}@example.net")
    [warning] = caplog.records
    assert "TRUSTED_PROXY_HOPS is not set" in warning.getMessage()
    # Unset, the header is not read at all: every client is the proxy.
    rows = db.session.execute(select(Signature)).scalars().all()
    assert len({row.client_hash for row in rows}) == 1
