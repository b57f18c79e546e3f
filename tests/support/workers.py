"""Real Celery processes (worker, beat) and a private Redis server for the tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any

import redis

ROOT = Path(__file__).resolve().parent.parent.parent
CELERY = str(Path(sys.executable).parent / "celery")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def process(args: list[str], env: dict[str, str] | None, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run a child process for the length of a block, its output in a log file."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        child = subprocess.Popen(args, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            yield child
        finally:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


@contextmanager
def start_celery(
    kind: str, env: dict[str, str], log: Path, *, queue: str | None = None, concurrency: int = 4
) -> Iterator[subprocess.Popen[bytes]]:
    """Start `celery -A worker worker` (or beat) and wait until it is ready; a worker takes the tasks
    of one queue if told so, else of all (campaign/taskqueue.py)."""
    if kind == "worker":
        args = [
            CELERY,
            "-A",
            "worker",
            "worker",
            "--pool=threads",
            f"--concurrency={concurrency}",
            "--loglevel=info",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        if queue is not None:
            args += [f"--queues={queue}", f"--hostname={queue}@%h"]
        ready = "ready."
    else:
        args = [
            CELERY,
            "-A",
            "worker",
            "beat",
            "--loglevel=info",
            "--schedule",
            str(log.with_suffix(".schedule")),
        ]
        ready = "beat: Starting"
    start = log.stat().st_size if log.exists() else 0
    with process(args, env, log) as child:
        deadline = time.monotonic() + 30
        while ready not in log.read_text(errors="replace")[start:]:
            if child.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery {kind} did not start:\n{log.read_text(errors='replace')[start:]}")
            time.sleep(0.1)
        yield child


@contextmanager
def redis_server(port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A private Redis server on a port of its own, that a test may stop and start."""
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with process(args, None, log) as child:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or child.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield child


def start_together(running: ExitStack, *processes: AbstractContextManager[Any]) -> None:
    """Start the processes at once (each takes seconds to be ready), each stopped when `running` ends."""
    with ThreadPoolExecutor(len(processes)) as pool:
        started = [pool.submit(process.__enter__) for process in processes]
    for process, future in zip(processes, started, strict=True):
        if future.exception() is None:
            running.push(process)
    for future in started:
        future.result()


def forget_keys(prefix: str) -> None:
    """Remove the test's broker and cache keys."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()
