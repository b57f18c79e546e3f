"""Fixtures of the fault tests on the production-like stack: PostgreSQL, Redis or RabbitMQ, SMTP."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.stack import Processes, Stack, broker_of_its_own, faulty_smtp
from tests.support.run import RUN_ID


@pytest.fixture(params=["redis", "rabbitmq"])
def stack(request: pytest.FixtureRequest, app: Any, db: Any, tmp_path: Path) -> Iterator[Stack]:
    """The test's own broker (a Redis prefix or a RabbitMQ vhost), a slow SMTP server, a site on both.

    Workers and beats are started by the test (`stack.processes`) and stopped afterwards.
    """
    from campaign import create_app

    run = f"{RUN_ID}-{uuid.uuid4().hex[:6]}"
    with broker_of_its_own(request.param, run) as broker, faulty_smtp(delay=0.25) as smtp:
        env = {**os.environ, **broker.env, "SMTP_URL": f"smtp://127.0.0.1:{smtp.port}"}
        site = create_app({"TESTING": True, "BROKER_URL": env["BROKER_URL"] or None,
                           "REDIS_KEY_PREFIX": env["REDIS_KEY_PREFIX"]})  # fmt: skip
        processes = Processes(env, tmp_path)
        try:
            yield Stack(request.param, site.test_client(), processes, smtp, tmp_path)
        finally:
            processes.stop_all()
