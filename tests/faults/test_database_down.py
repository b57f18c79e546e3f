"""PostgreSQL stopped and started under a running site: clear 503s while it is away, back without a restart.

A private cluster (initdb, pg_ctl) on a port of its own, so the test may stop it.
"""

import os
import signal
import subprocess
import time

import psycopg
import pytest

from campaign.supervise import programs
from tests.faults.live import (
    Browser,
    client_address,
    csrf_of,
    embedded_environment,
    prepare,
    signature_fields,
    wait_for_answer,
)
from tests.faults.postgres import private_cluster
from tests.faults.test_supervisor import descendants
from tests.support.workers import ROOT, free_port

CAMPAIGN = "/campaigns/recognize-artsakh"
OUTAGE_SECONDS = 10
# Every answer while the database is away comes within this long.
ANSWER_WITHIN_SECONDS = 5


@pytest.fixture
def site_on_postgres(tmp_path):
    """The web server (as `make run` starts it) on a private PostgreSQL; yields (cluster, port, process)."""
    with private_cluster() as cluster:
        url = cluster.create_database("campaign")
        port = free_port()
        env = embedded_environment(
            tmp_path / "instance",
            DATABASE_URL=url,
            BASE_URL=f"http://127.0.0.1:{port}",
            TRUSTED_PROXY_HOPS="1",
        )
        prepare(env)
        web = next(
            program for program in programs("127.0.0.1", port, tmp_path / "instance") if program.name == "web"
        )
        with (tmp_path / "web.log").open("ab") as log:
            process = subprocess.Popen(web.args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                       start_new_session=True)  # fmt: skip
        try:
            wait_for_answer(port, "/readyz", 200, timeout=60)
            yield cluster, port, process
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def timed(call):
    """Run a request; return its answer and how long it took."""
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


def test_signing_answers_503_while_postgresql_is_down_and_works_again_without_a_restart(site_on_postgres):
    cluster, port, web = site_on_postgres
    web_processes = {web.pid} | descendants(web.pid)
    browser = Browser(port, timeout=30)
    csrf = csrf_of(browser.get(CAMPAIGN).body)
    number = 0

    def sign():
        nonlocal number
        number += 1
        headers = {"X-Forwarded-For": client_address(number)}
        return browser.post(f"{CAMPAIGN}/sign", signature_fields(number, csrf), headers=headers)

    stored = 0
    assert sign().status == 303
    stored += 1

    cluster.stop()
    down_since = time.monotonic()
    while time.monotonic() - down_since < OUTAGE_SECONDS:
        answer, took = timed(sign)
        assert took < ANSWER_WITHIN_SECONDS, f"a signature waited {took:.1f} s"
        assert answer.status == 503, f"signing answered {answer.status} while the database was down"
        assert "briefly unavailable" in answer.body and answer.headers.get("retry-after")
        ready, took = timed(lambda: browser.get("/readyz"))
        assert ready.status == 503 and "database" in ready.body and took < ANSWER_WITHIN_SECONDS
        assert browser.get("/healthz").status == 200
        # A page is served from what the process holds, or answered 503: never an error page.
        assert browser.get(CAMPAIGN).status in (200, 503)
        assert browser.get("/").status in (200, 503)
        time.sleep(0.5)

    cluster.start()
    back_since = time.monotonic()
    while (answer := sign()).status != 303:
        assert answer.status == 503
        assert time.monotonic() - back_since < 10, "signing did not work again within 10 s of the database"
        time.sleep(0.2)
    stored += 1
    assert browser.get("/readyz").status == 200
    # Recovered without a restart: the same web processes answered throughout.
    assert {web.pid} | descendants(web.pid) == web_processes

    with psycopg.connect(cluster.url("campaign")) as connection:
        signatures = connection.execute("SELECT count(*) FROM signatures").fetchone()[0]
        without_mail = connection.execute(
            "SELECT count(*) FROM signatures s WHERE NOT EXISTS"
            " (SELECT 1 FROM outbox o WHERE o.ref_id = s.id AND o.dedupe_key LIKE 'confirm:%')"
        ).fetchone()[0]
        alone = connection.execute(
            "SELECT count(*) FROM people p"
            " WHERE NOT EXISTS (SELECT 1 FROM signatures s WHERE s.person_id = p.id)"
        ).fetchone()[0]
    # Exactly the signatures answered 303 are stored, each whole: its person and its confirmation owed.
    assert (signatures, without_mail, alone) == (stored, 0, 0)
