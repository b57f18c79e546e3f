"""`make soak` (`python -m bench.soak`): signatures at a steady rate for minutes on PostgreSQL + Redis,
the worker SIGKILLed and restarted every minute and Redis restarted once; then the outbox drains and
every confirmation owed is looked for at the SMTP sink by its Message-ID.

Redis is a private `redis-server` on a free port (the machine's Redis on 6379 is shared and never
touched); the database, key prefix and processes are the run's own (bench/stack.py) and removed at the
end. The figures replace the "Soak" section of docs/BENCHMARKS.md, leaving the rest of the file as it
is, and go to bench/results/soak-<time>.json. Exit status 1 if a confirmation owed was never mailed or a
signature answered as taken was not stored.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import signal
import socket
import statistics
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from bench import harness, report
from bench.settings import Settings
from bench.smtp_sink import Sink
from bench.stack import HOST, ROOT, Child, Stack, free_port
from bench.throughput import SLUG

RESULTS = ROOT / "bench" / "results"
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
KILL_EVERY_SECONDS = 60.0


# The SMTP sink, in a process of its own: `python -m bench.soak sink PORT FILE` -----------------


class RecordingSink(Sink):
    """The benchmark's sink, also writing each message's Message-ID to a file, a line each."""

    def __init__(self, record: Any) -> None:
        """Record into an open text file."""
        super().__init__()
        self.record = record

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Note the Message-ID (or "-" if there is none), then take the message."""
        found = MESSAGE_ID.search(envelope.content.split(b"\r\n\r\n", 1)[0])
        self.record.write((found.group(1).decode(errors="replace") if found else "-") + "\n")
        self.record.flush()
        return await super().handle_DATA(server, session, envelope)


def sink_main(port: int, path: Path) -> None:
    """Serve on 127.0.0.1:PORT until SIGTERM, appending Message-IDs to the file."""
    from aiosmtpd.controller import Controller

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    with path.open("a", encoding="utf-8") as record:
        controller = Controller(RecordingSink(record), hostname=HOST, port=port)
        controller.start()
        print(f"recording sink listening on {port}", flush=True)
        try:
            stopped.wait()
        finally:
            controller.stop()


# The load ------------------------------------------------------------------------------------------


class SignFormFields(HTMLParser):
    """The hidden fields of a page's sign form (a CSRF token, the shown-at stamp, the source), if any."""

    def __init__(self) -> None:
        """Start outside any form."""
        super().__init__()
        self.fields: dict[str, str] = {}
        self._in_sign_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note the hidden inputs inside the form that posts to .../sign."""
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._in_sign_form = values.get("action", "").endswith("/sign")
        elif tag == "input" and self._in_sign_form and values.get("type") == "hidden" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        """Leave a form."""
        if tag == "form":
            self._in_sign_form = False


def open_page(stack: Stack) -> tuple[dict[str, str], str]:
    """Open the campaign page as a browser would: its sign form's hidden fields and any cookie it set."""
    connection = http.client.HTTPConnection(HOST, stack.app_port, timeout=10)
    try:
        connection.request("GET", f"/campaigns/{SLUG}")
        response = connection.getresponse()
        html = response.read().decode()
        cookies = [v.split(";", 1)[0] for k, v in response.getheaders() if k.lower() == "set-cookie"]
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET /campaigns/{SLUG} answered {response.status}")
    parser = SignFormFields()
    parser.feed(html)
    return parser.fields, "; ".join(cookies)


def client_address(number: int) -> str:
    """A distinct client address in a /24 of its own (X-Forwarded-For), so no flood rule holds a signer."""
    return f"{11 + number // 65536}.{number // 256 % 256}.{number % 256}.7"


class Load:
    """Sign requests at a fixed rate from a pool of threads, each a new connection, counted by answer."""

    def __init__(self, stack: Stack, rate: float, seconds: float, threads: int) -> None:
        """Prepare `rate * seconds` requests with the hidden fields (and cookie, if any) of a real page."""
        self.stack, self.rate, self.threads = stack, rate, threads
        self.total = max(1, round(rate * seconds))
        self.hidden, self.cookie = open_page(stack)
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.started = self.finished = 0.0
        self._next = 0
        self._lock = threading.Lock()
        self._pool: list[threading.Thread] = []

    def start(self) -> None:
        """Start sending."""
        self.started = time.monotonic()
        self._pool = [threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)]
        for thread in self._pool:
            thread.start()

    def is_running(self) -> bool:
        """Whether requests are still being sent."""
        return any(thread.is_alive() for thread in self._pool)

    def join(self) -> None:
        """Wait for the last answer."""
        for thread in self._pool:
            thread.join()
        self.finished = time.monotonic()

    def _take(self) -> int | None:
        """The number of the next request to send, or None when all were sent."""
        with self._lock:
            if self._next >= self.total:
                return None
            self._next += 1
            return self._next - 1

    def _run(self) -> None:
        """Send requests on schedule (request n at start + n / rate) until none is left."""
        while (number := self._take()) is not None:
            delay = self.started + number / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._sign(number)

    def _sign(self, number: int) -> None:
        """Post one signer's form; count the answer or the error."""
        fields = {
            **self.hidden,
            "given_name": "Anahit",
            "family_name": "Petrosyan",
            "email": f"soak-{self.stack.run_id}-{number}@d{number}.example.org",
            "country": "AM",
            "postal_code": "0010",
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.stack.app_url,
            "X-Forwarded-For": client_address(number),
        }
        if self.cookie:
            headers["Cookie"] = self.cookie
        connection = http.client.HTTPConnection(HOST, self.stack.app_port, timeout=15)
        sent = time.monotonic()
        try:
            connection.request("POST", f"/campaigns/{SLUG}/sign", urllib.parse.urlencode(fields), headers)
            response = connection.getresponse()
            response.read()
            with self._lock:
                self.statuses[response.status] += 1
                self.latencies.append(time.monotonic() - sent)
        except (OSError, http.client.HTTPException) as error:
            with self._lock:
                self.errors[type(error).__name__] += 1
        finally:
            connection.close()


# The faults ----------------------------------------------------------------------------------------


@dataclass
class Faults:
    """What was done to the stack, and what died without being told to."""

    worker_kills: list[float] = field(default_factory=list)
    redis_restarts: list[float] = field(default_factory=list)
    unplanned_exits: Counter[str] = field(default_factory=Counter)
    workers_started: int = 0


def start_redis(stack: Stack, port: int) -> Child:
    """A private redis-server (no persistence: a restart empties it, as a lost Redis host would)."""
    args = ["redis-server", "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"]
    child = stack.start("redis", args)
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return child
        except OSError:
            if not child.is_running() or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{child.tail()}") from None
            time.sleep(0.05)


def start_worker(stack: Stack, faults: Faults) -> str:
    """A new worker, under a name (and log) of its own so its readiness line is its own."""
    faults.workers_started += 1
    name = f"worker-{faults.workers_started}"
    stack.start_worker(name)
    return name


def kill(stack: Stack, name: str) -> None:
    """SIGKILL a child's whole process group (the worker and its pool), as the OOM killer would."""
    child = stack.children.pop(name)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.process.pid, signal.SIGKILL)
    child.process.wait()
    child.stop()  # closes its log; the group is gone already


def keep_up(stack: Stack, worker: str, redis_port: int, faults: Faults) -> str:
    """Restart whatever died on its own (and count it); return the current worker's name."""
    if not stack.children[worker].is_running():
        faults.unplanned_exits["worker"] += 1
        stack.stop(worker)
        worker = start_worker(stack, faults)
    if not stack.children["beat"].is_running():
        faults.unplanned_exits["beat"] += 1
        stack.stop("beat")
        stack.start_beat()
    if not stack.children["redis"].is_running():
        faults.unplanned_exits["redis"] += 1
        stack.stop("redis")
        start_redis(stack, redis_port)
    return worker


def soak(stack: Stack, load: Load, redis_port: int, redis_down: float, faults: Faults) -> None:
    """Run the load; kill the worker every minute and restart Redis once, halfway (between two kills)."""
    worker = start_worker(stack, faults)
    load_seconds = load.total / load.rate
    kills = [KILL_EVERY_SECONDS * k - 30 for k in range(1, int(load_seconds // KILL_EVERY_SECONDS) + 1)]
    redis_at: float | None = max(15.0, load_seconds / 2 + 15)
    load.start()
    while load.is_running():
        elapsed = time.monotonic() - load.started
        if kills and elapsed >= kills[0]:
            kills.pop(0)
            kill(stack, worker)
            faults.worker_kills.append(round(elapsed, 1))
            print(f"  {elapsed:5.0f} s: worker SIGKILLed; answers so far {dict(load.statuses)}", flush=True)
            worker = start_worker(stack, faults)
        elif redis_at is not None and elapsed >= redis_at:
            redis_at = None
            faults.redis_restarts.append(round(elapsed, 1))
            print(f"  {elapsed:5.0f} s: Redis stopped for {redis_down:g} s", flush=True)
            stack.stop("redis")
            time.sleep(redis_down)
            start_redis(stack, redis_port)
        else:
            worker = keep_up(stack, worker, redis_port, faults)
            time.sleep(0.5)
    load.join()


# The accounts ------------------------------------------------------------------------------------------


@dataclass
class Figures:
    """What the soak came to."""

    minutes: float
    rate_asked: float
    rate_achieved: float
    requests: int
    answered: int
    other_answers: dict[str, int]
    errors: dict[str, int]
    latency_p50_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    stored: int
    held: dict[str, int]
    owed: int
    owed_by_kind: dict[str, int]
    mailed: int
    lost: int
    failed: int
    duplicates: int
    received: int
    drain_seconds: float | None
    worker_kills: list[float]
    redis_restarts: list[float]
    unplanned_exits: dict[str, int]
    started_at: str

    @property
    def is_sound(self) -> bool:
        """Nothing owed went unmailed and every signature answered as taken was stored."""
        return self.lost == 0 and self.stored >= self.answered


def baseline(stack: Stack) -> tuple[int, int]:
    """The highest signature and outbox ids before the soak (the demo's own rows are not counted)."""
    with stack.connect() as connection:
        signature = connection.execute("SELECT coalesce(max(id), 0) FROM signatures").fetchone()
        outbox = connection.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()
    return int(signature[0]) if signature else 0, int(outbox[0]) if outbox else 0


def wait_for_drain(stack: Stack, outbox_from: int, timeout: float) -> float | None:
    """Seconds until no message of the soak is pending or being sent; None if that took over `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with stack.connect() as connection:
            row = connection.execute(
                "SELECT count(*) FROM outbox WHERE id > %s AND status IN ('pending', 'sending')",
                (outbox_from,),
            ).fetchone()
        if row and row[0] == 0:
            return time.monotonic() - started
        time.sleep(1)
    return None


def account(
    stack: Stack, load: Load, faults: Faults, ids: tuple[int, int], received: list[str], drained: float | None
) -> Figures:
    """Compare what was answered, stored, owed and received."""
    signatures_from, outbox_from = ids
    with stack.connect() as connection:
        stored_row = connection.execute("SELECT count(*) FROM signatures WHERE id > %s", (signatures_from,))
        stored = int((stored_row.fetchone() or (0,))[0])
        # Signatures a flood rule held (stored as fraudulent: never counted, nobody mailed), by rule.
        held_rows = connection.execute(
            "SELECT flood_rule, count(*) FROM signatures WHERE id > %s AND status = 'fraudulent' GROUP BY 1",
            (signatures_from,),
        ).fetchall()
        owed_rows = connection.execute(
            "SELECT kind, status, message_id FROM outbox WHERE id > %s", (outbox_from,)
        ).fetchall()
    arrived = Counter(received)
    mailed = sum(1 for _, _, message_id in owed_rows if arrived[message_id])
    latencies = sorted(load.latencies) or [0.0]
    seconds = (load.finished - load.started) or 1.0
    requests = sum(load.statuses.values()) + sum(load.errors.values())
    return Figures(
        minutes=round(load.total / load.rate / 60, 2),
        rate_asked=load.rate,
        rate_achieved=round(requests / seconds, 1),
        requests=requests,
        answered=load.statuses[303],
        other_answers={str(status): n for status, n in sorted(load.statuses.items()) if status != 303},
        errors=dict(load.errors),
        latency_p50_ms=round(statistics.median(latencies) * 1000, 1),
        latency_p99_ms=round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 1),
        latency_max_ms=round(latencies[-1] * 1000, 1),
        stored=stored,
        held={str(rule): int(n) for rule, n in held_rows},
        owed=len(owed_rows),
        owed_by_kind=dict(Counter(kind for kind, _, _ in owed_rows)),
        mailed=mailed,
        lost=len(owed_rows) - mailed,
        failed=sum(1 for _, status, _ in owed_rows if status == "failed"),
        duplicates=sum(n - 1 for n in arrived.values() if n > 1),
        received=len(received),
        drain_seconds=None if drained is None else round(drained, 1),
        worker_kills=faults.worker_kills,
        redis_restarts=faults.redis_restarts,
        unplanned_exits=dict(faults.unplanned_exits),
        started_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
    )


# The report --------------------------------------------------------------------------------------------


def section(figures: Figures, threads: int, redis_down: float) -> list[str]:
    """The "Soak" section of docs/BENCHMARKS.md."""
    other = ", ".join(f"{status}: {n}" for status, n in figures.other_answers.items()) or "none"
    errors = ", ".join(f"{kind}: {n}" for kind, n in figures.errors.items()) or "none"
    exits = ", ".join(f"{name}: {n}" for name, n in figures.unplanned_exits.items()) or "none"
    kinds = ", ".join(f"{kind}: {n:,}" for kind, n in figures.owed_by_kind.items()) or "none"
    drained = "did not drain" if figures.drain_seconds is None else f"{figures.drain_seconds:g} s"
    kills = ", ".join(f"{s:g}" for s in figures.worker_kills) or "none"
    restarts = ", ".join(f"{s:g}" for s in figures.redis_restarts) or "none"
    return [
        f"Written by `make soak` (`python -m bench.soak --minutes {figures.minutes:g} "
        f"--rate {figures.rate_asked:g}`) on {figures.started_at} UTC. "
        + ("Nothing owed was lost." if figures.is_sound else "**Something owed was lost: see below.**"),
        "",
        "| | |",
        "|---|---|",
        f"| Load | {figures.minutes:g} min of sign POSTs at {figures.rate_asked:g}/s asked, "
        f"{figures.rate_achieved:g}/s achieved, {threads} client threads |",
        f"| Worker SIGKILLed (its pool too) and restarted at (s) | {kills} |",
        f"| Redis stopped for {redis_down:g} s and started empty at (s) | {restarts} |",
        f"| Processes that died on their own (restarted) | {exits} |",
        f"| Signatures answered (303) | {figures.answered:,} |",
        f"| Signatures stored | {figures.stored:,} |",
        "| Held by a flood rule (stored, never counted or mailed) | "
        + (", ".join(f"{n:,} ({rule})" for rule, n in sorted(figures.held.items())) or "none")
        + " |",
        f"| Other answers | {other} |",
        f"| Errors seen by the load generator | {errors} |",
        f"| Sign latency p50 / p99 / max | {figures.latency_p50_ms:g} / {figures.latency_p99_ms:g} / "
        f"{figures.latency_max_ms:g} ms |",
        f"| Confirmations owed (outbox rows) | {figures.owed:,} ({kinds}) |",
        f"| Mailed (Message-ID seen at the sink) | {figures.mailed:,} |",
        f"| **Lost** (owed, never mailed) | **{figures.lost:,}** ({figures.failed} failed for good) |",
        f"| Duplicates (same Message-ID again) | {figures.duplicates:,} of {figures.received:,} received |",
        f"| Time to drain after the load | {drained} |",
        "",
        "PostgreSQL and a private `redis-server` (no persistence) on 127.0.0.1, gunicorn as in "
        "`make bench`, one `celery -A worker worker` (prefork, a child per core) and one beat with the "
        "production defaults. Each request is a new signer (own address and email domain, own "
        "`X-Forwarded-For`) posting the real form with the hidden fields of a real page. The worker "
        "is killed with SIGKILL to its process group every minute (30 s, 90 s, ...) and a new one started at "
        "once; Redis is stopped once, halfway, and comes back empty (broker queue, counts cache and "
        "rate limits gone): what the broker lost, beat's outbox sweep hands over again. The SMTP sink "
        "records each message's Message-ID; a confirmation is mailed if its outbox row's Message-ID "
        "arrived, and a duplicate is a Message-ID that arrived more than once.",
    ]


def write(figures: Figures, threads: int, redis_down: float, output: Path) -> tuple[Path, Path]:
    """The JSON figures in bench/results/ and the section in docs/BENCHMARKS.md."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    data = {**asdict(figures), "is_sound": figures.is_sound, "threads": threads, "redis_down": redis_down}
    result = RESULTS / f"soak-{stamp}.json"
    result.write_text(json.dumps(data, indent=2) + "\n")
    return result, report.write_section(output, "Soak", section(figures, threads, redis_down))


# The run -----------------------------------------------------------------------------------------------


def arguments(argv: list[str]) -> argparse.Namespace:
    """The soak's options."""
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to sign (default 10)")
    parser.add_argument("--rate", type=float, default=100.0, help="signatures a second (default 100)")
    parser.add_argument("--threads", type=int, default=32, help="client threads (default 32)")
    parser.add_argument("--redis-down", type=float, default=5.0, help="seconds Redis stays stopped")
    parser.add_argument("--drain-timeout", type=float, default=900.0, help="longest wait for the outbox")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "BENCHMARKS.md")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Set the stack up, soak it, drain, account, tear down (always), report."""
    if argv[:1] == ["sink"]:
        sink_main(int(argv[1]), Path(argv[2]))
        return 0
    options = arguments(argv)
    signal.signal(signal.SIGTERM, harness.terminate)
    stack = Stack(Settings())
    redis_port = free_port()
    stack.env["REDIS_URL"] = f"redis://{HOST}:{redis_port}/0"
    received_file = stack.folder / "received.txt"
    faults = Faults()
    figures: Figures | None = None
    print(f"soak run {stack.run_id}: database {stack.database}, logs in {stack.folder}", flush=True)
    try:
        start_redis(stack, redis_port)
        stack.create_database()
        sink = stack.start(
            "smtp", [sys.executable, "-m", "bench.soak", "sink", str(stack.smtp_port), str(received_file)]
        )
        sink.wait_for_log("listening", timeout=20)
        stack.start_app()
        stack.start_beat()
        ids = baseline(stack)
        load = Load(stack, options.rate, options.minutes * 60, options.threads)
        print(f"signing at {options.rate:g}/s for {options.minutes:g} min...", flush=True)
        soak(stack, load, redis_port, options.redis_down, faults)
        print(f"load done: {dict(load.statuses)} errors {dict(load.errors)}; draining...", flush=True)
        drained = wait_for_drain(stack, ids[1], options.drain_timeout)
        time.sleep(10)  # a late duplicate (a redelivered task) would arrive now
        stack.stop("smtp")
        received = received_file.read_text().splitlines() if received_file.exists() else []
        figures = account(stack, load, faults, ids, received, drained)
    finally:
        stack.close(keep_logs=figures is None or not figures.is_sound or bool(faults.unplanned_exits))
    result, doc = write(figures, options.threads, options.redis_down, options.output)
    print("\n".join(line for line in section(figures, options.threads, options.redis_down)[:-2]))
    print(f"\nWrote {result.relative_to(ROOT)} and the Soak section of {doc}")
    if not figures.is_sound or faults.unplanned_exits:
        print(f"Logs kept in {stack.folder}")
    return 0 if figures.is_sound else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
