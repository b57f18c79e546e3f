"""`make run`'s supervisor: a worker or beat that dies is started again while the site stays up;
Ctrl-C and SIGTERM stop everything within 10 s."""

import os
import re
import signal
import subprocess
import threading
import time

import pytest

from tests.faults.live import (
    BIN,
    Browser,
    csrf_of,
    embedded_environment,
    prepare,
    signature_fields,
    wait_for_answer,
)
from tests.support.waiting import wait_until
from tests.support.workers import ROOT, free_port


def pid_of(log, name: str) -> int:
    """The pid of the program's newest process, from the supervisor's lines."""
    found = re.findall(rf"started {name} \(pid (\d+)\)", log.read_text(errors="replace"))
    return int(found[-1]) if found else 0


def is_alive(pid: int) -> bool:
    """Tell whether a process of this pid exists (and is no zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def descendants(pid: int) -> set[int]:
    """Every process started, directly or not, by this one."""
    children = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().split(") ", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            if parent == pid:
                children |= {int(entry)} | descendants(int(entry))
    return children


@pytest.fixture
def site(tmp_path):
    """The embedded default under the supervisor, as `make run` starts it; yields (process, port, log)."""
    port = free_port()
    env = embedded_environment(tmp_path / "instance", BASE_URL=f"http://127.0.0.1:{port}")
    prepare(env)
    log = tmp_path / "site.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [str(BIN / "python"), "-m", "campaign.supervise", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
    try:
        wait_for_answer(port, "/readyz", 200, timeout=60)
        wait_until(lambda: " ready." in log.read_text(errors="replace"), timeout=60)
        yield process, port, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in (pid_of(log, "web"), pid_of(log, "worker"), pid_of(log, "beat")):
            if pid and is_alive(pid):
                os.killpg(pid, signal.SIGKILL)


def test_a_dead_worker_and_beat_are_started_again_while_the_site_stays_up(site, tmp_path):
    process, port, log = site
    failures = []
    watching = threading.Event()

    def watch_the_site():
        """Ask /healthz every 0.2 s until told to stop, noting any answer but 200."""
        browser = Browser(port, timeout=5)
        while not watching.is_set():
            try:
                status = browser.get("/healthz").status
                if status != 200:
                    failures.append(status)
            except OSError as error:
                failures.append(type(error).__name__)
                browser.close()
            time.sleep(0.2)

    watcher = threading.Thread(target=watch_the_site)
    watcher.start()
    try:
        for name in ("worker", "beat"):
            first = pid_of(log, name)
            os.kill(first, signal.SIGKILL)
            wait_until(lambda name=name, first=first: pid_of(log, name) not in (0, first), timeout=30)
            assert f"{name} (pid {first}) was killed by signal 9; restarting it" in log.read_text()
        wait_until(lambda: log.read_text(errors="replace").count(" ready.") >= 2, timeout=60)

        # The new worker does the work: a signature's confirmation is written to disk.
        browser = Browser(port)
        csrf = csrf_of(browser.get("/campaigns/recognize-artsakh").body)
        answer = browser.post("/campaigns/recognize-artsakh/sign", signature_fields(1, csrf))
        assert answer.status == 303
        wait_until(lambda: list((tmp_path / "instance" / "mail").glob("*.eml")), timeout=30)
    finally:
        watching.set()
        watcher.join()
    assert failures == [], f"the site did not answer while a worker was restarted: {failures}"
    assert process.poll() is None


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_stopping_the_supervisor_stops_every_process_within_ten_seconds(site, how):
    process, _port, log = site
    processes = descendants(process.pid)
    assert len(processes) >= 5  # gunicorn with two workers, the worker with its pool, beat

    started = time.monotonic()
    process.send_signal(how)
    process.wait(timeout=15)
    took = time.monotonic() - started

    assert took < 10, f"stopped in {took:.1f} s"
    assert process.returncode == 0
    assert [pid for pid in processes if is_alive(pid)] == []
    assert "did not stop" not in log.read_text(errors="replace")
