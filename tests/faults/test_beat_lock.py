"""Two beats: only the one holding the lock sends the periodic tasks; the other takes over when it dies."""

import os
import re
import signal
import subprocess
import time

import pytest

from campaign.supervise import programs
from tests.faults.live import embedded_environment, prepare
from tests.support.waiting import wait_until
from tests.support.workers import ROOT

SENT = re.compile(r"Sending due task")


def start_beat(env, instance, log):
    """A beat started as `make run` starts it, sharing the instance folder and schedule file of the other."""
    beat = next(program for program in programs("127.0.0.1", 0, instance) if program.name == "beat")
    with log.open("ab") as output:
        return subprocess.Popen(
            beat.args, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )


def sent(log) -> int:
    """How many periodic tasks this beat has sent."""
    return len(SENT.findall(log.read_text(errors="replace"))) if log.exists() else 0


@pytest.fixture(params=["sqlite", "postgresql"])
def beat_environment(request, tmp_path):
    """The environment of two beats: the embedded default, or a PostgreSQL database (an advisory lock)."""
    extra = {}
    if request.param == "postgresql":
        extra["DATABASE_URL"] = request.getfixturevalue("database")
    env = embedded_environment(tmp_path / "instance", OUTBOX_SWEEP_SECONDS="1", **extra)
    if request.param == "sqlite":
        prepare(env)
    return env


def test_a_second_beat_stands_by_and_takes_over_when_the_first_dies(beat_environment, tmp_path):
    instance = tmp_path / "instance"
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = start_beat(beat_environment, instance, first_log)
    second = None
    try:
        wait_until(lambda: sent(first_log) >= 2, timeout=60)
        second = start_beat(beat_environment, instance, second_log)
        wait_until(lambda: "stands by" in second_log.read_text(errors="replace"), timeout=60)
        before = sent(first_log)
        time.sleep(3)
        assert sent(first_log) > before, "the first beat goes on sending"
        assert sent(second_log) == 0, "the second beat sent while the first held the lock"

        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        wait_until(lambda: sent(second_log) >= 2, timeout=30)
        assert "beat lock taken" in second_log.read_text(errors="replace")
    finally:
        for beat in (first, second):
            if beat is not None and beat.poll() is None:
                beat.terminate()
                beat.wait(timeout=15)
