"""SIGTERM stops a busy worker within 10 s on the embedded broker, with `make run`'s command line.

A service manager or `docker stop` sends SIGTERM to the worker's main
process; a terminal's Ctrl-C or systemd's default sends it to the whole
process group, pool processes included. Either way the worker must stop
while its outbox pump is mid-batch (a slow SMTP server keeps it busy), not
wait the pump out or hang on a lock a dying pool process held.
"""

import asyncio
import os
import signal
import subprocess
import time

import pytest
from aiosmtpd.controller import Controller

from campaign.privacy import keys, vault
from campaign.supervise import programs
from tests.faults.live import client_address, embedded_environment, prepare, signature_fields
from tests.faults.test_supervisor import descendants, is_alive
from tests.support.forms import csrf_token
from tests.support.smtp import SmtpCapture, _Handler
from tests.support.waiting import wait_until
from tests.support.workers import ROOT, free_port

SIGNERS = 12


class SlowHandler(_Handler):
    """Takes half a second over each message, as a distant server might."""

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(0.5)
        return await super().handle_DATA(server, session, envelope)


class SlowSmtp(SmtpCapture):
    """The tests' SMTP server, slowed down."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self._controller = Controller(SlowHandler(self), hostname="127.0.0.1", port=port)


@pytest.fixture
def busy_worker(tmp_path):
    """A worker started as `make run` starts it, pumping a dozen confirmations to a slow SMTP server."""
    from campaign import create_app

    smtp = SlowSmtp(free_port())
    smtp.start()
    instance = tmp_path / "instance"
    env = embedded_environment(instance, SMTP_URL=f"smtp://127.0.0.1:{smtp.port}")
    prepare(env)
    keys.forget()
    vault.forget()
    worker = next(program for program in programs("127.0.0.1", 0, instance) if program.name == "worker")
    log = tmp_path / "worker.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            worker.args,
            env={**env, **worker.env},
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )
    try:
        wait_until(lambda: " ready." in log.read_text(errors="replace"), timeout=60)
        app = create_app(
            {
                "TESTING": True,
                "INSTANCE_PATH": str(instance),
                "REDIS_URL": None,
                "SMTP_URL": env["SMTP_URL"],
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'campaign.sqlite'}",
            }
        )
        browser = app.test_client()
        csrf = csrf_token(browser.get("/campaigns/recognize-artsakh").get_data(as_text=True))
        for number in range(SIGNERS):
            answer = browser.post(
                "/campaigns/recognize-artsakh/sign",
                data=signature_fields(number, csrf),
                environ_base={"REMOTE_ADDR": client_address(number)},
            )
            assert answer.status_code == 303
        # The pump is mid-batch: some messages are in, most are still to send.
        wait_until(lambda: len(smtp.messages) >= 1, timeout=30)
        yield process, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        smtp.stop()
        keys.forget()
        vault.forget()


@pytest.mark.parametrize("whom", ["main process", "process group"])
def test_sigterm_stops_a_busy_worker_within_ten_seconds(busy_worker, whom):
    process, log = busy_worker
    pool = descendants(process.pid)
    assert pool, "the worker has pool processes"

    started = time.monotonic()
    if whom == "main process":
        os.kill(process.pid, signal.SIGTERM)
    else:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker did not stop in 20 s:\n{log.read_text(errors='replace')[-3000:]}")
    took = time.monotonic() - started

    assert took < 10, f"stopped in {took:.1f} s"
    assert [pid for pid in pool if is_alive(pid)] == []
    # It stopped through the soft shutdown, not by being killed.
    assert "Soft Shutdown" in log.read_text(errors="replace")
