"""Webhook fixtures: a real HTTP receiver on loopback, an organization and its owner, a signer confirming,
and an app whose tasks no worker takes (for pumps and sweeps a test runs itself)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from tests.support.forms import csrf_token
from tests.support.webhooks import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A listening receiver, stopped after the test."""
    found = Receiver()
    found.start()
    yield found
    found.stop()


@pytest.fixture
def down_receiver() -> Iterator[Receiver]:
    """A receiver whose port refuses connections until the test starts it."""
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture
def organization(app: Any, db: Any) -> dict[str, Any]:
    """An organization with a signed-in owner (two-factor given) and an open petition of its own."""
    from campaign.accounts.models import Role
    from campaign.accounts.organizations import create_organization
    from tests.support.people import signed_in

    browser, owner = signed_in(app, db, "owner@example.org", Role.ORGANIZER)
    found = create_organization("Artsakh Relief", owner)
    db.session.commit()
    return {
        "organization": found,
        "owner": owner,
        "browser": browser,
        "path": f"/organizations/{found.id}/webhooks",
    }


@pytest.fixture
def register(db: Any) -> Callable[..., tuple[Any, str]]:
    """Register an endpoint directly (as the page would); return it and its secret."""
    from campaign.webhooks import service

    def add(organization: Any, url: str, *events: str) -> tuple[Any, str]:
        endpoint, secret = service.add_endpoint(
            organization, url, list(events or ["signature.confirmed"]), "test"
        )
        db.session.commit()
        return endpoint, secret

    return add


@pytest.fixture
def sign_and_confirm(client: Any, mailbox: Any, sign: Callable[..., Any]) -> Callable[..., None]:
    """Sign a campaign through its form and press the button of the confirmation email (worker needed),
    in the session's app or, given `test_client`, another's."""

    def run(slug: str, email: str = "anahit@example.org", test_client: Any = None, **fields: Any) -> None:
        browser = test_client or client
        sign(slug, test_client=browser, email=email, **fields)
        [message] = mailbox.wait_for(email)
        found = re.search(r"http://localhost(/confirm/\S+)", message.get_content())
        assert found is not None, "no confirmation link"
        link = found.group(1)
        page = browser.get(link)
        browser.post(link, data={"csrf_token": csrf_token(page.get_data(as_text=True))})

    return run


@pytest.fixture
def quiet(app: Any, db: Any) -> Iterator[Any]:
    """The app on a broker of its own (a Redis prefix no worker reads), its keys removed after.

    What a test pumps and sweeps in its context is not raced by the session's
    worker: the pumps its commits and sweeps ask for are never taken.
    """
    from campaign import create_app

    prefix = f"{os.environ['REDIS_KEY_PREFIX']}quiet-{uuid.uuid4().hex[:8]}:"
    yield create_app({"TESTING": True, "REDIS_KEY_PREFIX": prefix})
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()
