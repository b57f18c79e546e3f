"""`make run`'s processes: the web server, two Celery workers (mail and counts; webhooks) and beat,
kept running together.

A worker or beat that dies is started again (with a line saying so, and a
growing pause if it keeps dying), and the web server stays up meanwhile: a
surge that kills a worker must not take the site down. Ctrl-C or SIGTERM
stops them all within STOP_SECONDS.

Each program runs in a session of its own, so the terminal's Ctrl-C reaches
only this supervisor, which then sends SIGTERM to each program's main
process, as `docker stop` does (a signal to every pool process at once can
leave a worker waiting on a lock a dying pool process held). Whatever is still
running at the deadline is killed with its whole process group.

Why not honcho (it stops everything when one process dies) or supervisord (a
daemon with its own configuration file and log files): what `make run` needs
is this much.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from campaign.taskqueue import DEFAULT_QUEUE, WEBHOOKS_QUEUE

# Programs get this long to stop after SIGTERM before they are killed; with
# the supervisor's own polling, everything is gone within 10 s.
STOP_SECONDS = 8.0
# Pauses before starting a program that died: doubled on each quick death, up to the last.
RESTART_PAUSES = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
# A program that ran this long before dying is restarted after the shortest pause again.
STEADY_SECONDS = 60.0
POLL_SECONDS = 0.2

BIN = Path(sys.executable).parent
# As campaign/config.py's DEFAULT_INSTANCE; not imported, which would load the whole app into the supervisor.
DEFAULT_INSTANCE = Path(__file__).resolve().parent.parent / "instance"


@dataclass
class Program:
    """One supervised command and the state of its current process."""

    name: str
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    quick_deaths: int = 0
    start_at: float = 0.0  # when to start it (again); 0: now

    def start(self) -> None:
        """Start the command in a session of its own."""
        self.process = subprocess.Popen(  # noqa: S603 - our own fixed command lines
            self.args, env={**os.environ, **self.env}, start_new_session=True
        )
        self.started_at = time.monotonic()
        say(f"started {self.name} (pid {self.process.pid})")

    def is_running(self) -> bool:
        """Tell whether the current process is still running."""
        return self.process is not None and self.process.poll() is None

    def schedule_restart(self) -> None:
        """Note how the process ended and when to start the next one."""
        assert self.process is not None
        code = self.process.returncode
        lived = time.monotonic() - self.started_at
        self.quick_deaths = 0 if lived >= STEADY_SECONDS else self.quick_deaths + 1
        pause = RESTART_PAUSES[min(self.quick_deaths, len(RESTART_PAUSES) - 1)]
        how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
        say(f"{self.name} (pid {self.process.pid}) {how}; restarting it in {pause:g} s")
        self.process = None
        self.start_at = time.monotonic() + pause


def say(line: str) -> None:
    """One line of the supervisor's own, to stderr beside the programs' output."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} supervise: {line}", file=sys.stderr, flush=True)


def programs(host: str, port: int, instance: Path) -> list[Program]:
    """The embedded default's four programs: the site, a worker for mail and counts, one for the
    posts to webhook endpoints (slow endpoints never hold the first; campaign/taskqueue.py), beat."""
    return [
        Program(
            "web",
            [
                str(BIN / "gunicorn"),
                "-c",
                "gunicorn.conf.py",
                "--bind",
                f"{host}:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                # Requests in flight get this long once asked to stop, inside STOP_SECONDS.
                "--graceful-timeout",
                "5",
                "--access-logfile",
                "-",
                "campaign:create_app()",
            ],
        ),
        _worker("worker", DEFAULT_QUEUE, concurrency=2),
        _worker("webhooks", WEBHOOKS_QUEUE, concurrency=1),
        Program(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "worker",
                "beat",
                "--loglevel=info",
                "--schedule",
                str(instance / "celerybeat-schedule"),
            ],
        ),
    ]


def _worker(name: str, queue: str, *, concurrency: int) -> Program:
    """A Celery worker taking the tasks of one queue."""
    return Program(
        name,
        [
            str(BIN / "celery"),
            "-A",
            "worker",
            "worker",
            "--loglevel=info",
            f"--queues={queue}",
            f"--concurrency={concurrency}",
            # Gossip, mingle and heartbeats talk between workers through
            # the broker's fanout, which the embedded broker lacks.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            # Two workers on one machine: each needs a name of its own.
            f"--hostname={name}@%h",
        ],
        # SIGTERM starts Celery's soft shutdown: running tasks get a few
        # seconds, then are cancelled and requeued (campaign/taskqueue.py).
        {"REMAP_SIGTERM": "SIGQUIT"},
    )


def supervise(group: list[Program], stop: threading.Event) -> None:
    """Keep every program running until asked to stop, then stop them all."""
    while not stop.is_set():
        now = time.monotonic()
        for program in group:
            if program.process is None:
                if now >= program.start_at:
                    program.start()
            elif program.process.poll() is not None:
                program.schedule_restart()
        stop.wait(POLL_SECONDS)
    stop_all(group)


def stop_all(group: list[Program]) -> None:
    """SIGTERM to each program's main process; past STOP_SECONDS, SIGKILL to its whole group."""
    running = [program for program in group if program.is_running()]
    say("stopping " + ", ".join(program.name for program in running))
    for program in running:
        assert program.process is not None
        program.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while any(program.is_running() for program in running) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS / 2)
    for program in running:
        assert program.process is not None
        if program.is_running():
            say(f"{program.name} (pid {program.process.pid}) did not stop in {STOP_SECONDS:g} s: killing it")
        # Its pool processes too, should any outlive the main process.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(program.process.pid, signal.SIGKILL)
        program.process.wait()
    say("stopped")


def main(argv: list[str] | None = None) -> None:
    """Run the embedded default's web server, worker and beat until Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    instance = Path(os.environ.get("INSTANCE_PATH", DEFAULT_INSTANCE))
    parser.add_argument("--instance", type=Path, default=instance)
    options = parser.parse_args(argv)
    # The app reads these too: the same instance folder for all of them, and links in mail to this port.
    os.environ["INSTANCE_PATH"] = str(options.instance.resolve())
    os.environ["PORT"] = str(options.port)

    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        """Ask the loop to stop everything (Ctrl-C, SIGTERM)."""
        if not stop.is_set():
            say(f"{signal.Signals(signum).name} received")
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGHUP, request_stop)
    supervise(programs(options.host, options.port, options.instance.resolve()), stop)


if __name__ == "__main__":
    main()
