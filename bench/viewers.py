"""(j) A surge: 100,000 viewers of one campaign polling count.json through nginx while people sign.

For BENCH_VIEWER_SECONDS, at once and all through the front (bench/front.py):
- wrk offers viewers / poll interval requests a second for count.json
  (100,000 every 10 s: 10,000 a second), each from one of the virtual viewers'
  addresses (bench/viewers.lua), paced per connection with wrk's delay();
- threads post the sign form at BENCH_VIEWER_SIGN_RATE (100 a second), each
  at its scheduled moment whatever the answers before it (an open loop: a
  signature's latency counts from the moment it was due, so a slow answer
  cannot hide the ones queued behind it);
- a few threads confirm pending signatures of the campaign at
  BENCH_VIEWER_CONFIRM_RATE, so that the count moves, while a poller reads
  count.json through nginx every BENCH_POLL_INTERVAL: the i-th confirmation is
  fresh at the first poll that shows i more (the freshness benchmark's rule).
Goals: the count fresh within 3 s at p99, signing p99 < 200 ms, no errors.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field

from flask import Flask

from bench import cpu, disk, freshness, pollers, population, stats, wrk
from bench.front import Front
from bench.stack import HOST, Stack, fetch_form

SLUG = "bench-viewers"
CONFIRM_THREADS = 4
SIGN_THREADS = 32


@dataclass
class Signers:
    """The signatures posted during the surge: their latencies (ms, from when each was due) and answers."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    due: list[float] = field(default_factory=list)  # when each was due (time.monotonic())
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: int = 0

    @property
    def rate(self) -> float:
        """Signatures answered a second."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        """Median latency."""
        return stats.percentile(self.latencies, 0.5)

    @property
    def p99_ms(self) -> float:
        """99th percentile latency."""
        return stats.percentile(self.latencies, 0.99)

    @property
    def non_3xx(self) -> int:
        """Answers that were not a redirect (a signature taken)."""
        return sum(n for status, n in self.statuses.items() if not 300 <= status < 400)

    def by_disk(self, seen: disk.Disk) -> tuple[list[float], list[float]]:
        """The latencies of signatures due while the disk stalled (or drained after), and of the rest."""
        stalled: list[float] = []
        calm: list[float] = []
        for due, latency in zip(self.due, self.latencies, strict=True):
            (stalled if seen.during(due) else calm).append(latency)
        return stalled, calm


@dataclass
class ViewerResult:
    """What the surge came to: the viewers' and signers' wrk runs, and the count's freshness."""

    offered_rate: float
    sign_rate: float
    viewers: wrk.WrkResult | None = None
    signers: Signers | None = None
    confirmed: int = 0
    confirm_errors: int = 0
    freshness: list[float] = field(default_factory=list)
    unseen: int = 0
    # Cores each component kept busy while it ran (CPU seconds a second, read from /proc).
    cores: dict[str, float] = field(default_factory=dict)
    disk_seen: disk.Disk | None = None

    @property
    def fresh_p99(self) -> float:
        """99th percentile of the count's freshness, seconds (NaN if nothing was confirmed)."""
        return stats.percentile(self.freshness, 0.99)

    @property
    def fresh_p50(self) -> float:
        """Median freshness, seconds."""
        return stats.percentile(self.freshness, 0.5)

    @property
    def errors(self) -> int:
        """Viewer answers not 2xx, sign answers not 3xx, socket errors, failed confirmations, unseen."""
        found = self.confirm_errors + self.unseen
        if self.viewers is not None:
            found += self.viewers.non_2xx + self.viewers.socket_errors
        if self.signers is not None:
            found += self.signers.non_3xx + self.signers.socket_errors
        return found


def prepare(stack: Stack, app: Flask) -> list[str]:
    """The surge's campaign and the confirmation tokens of its pending signatures."""
    settings = stack.settings
    campaign_id = population.make_campaign(app, SLUG, "A campaign a hundred thousand people watch")
    count = int(settings.viewer_confirm_rate * settings.viewer_seconds * 1.2) + 10
    with stack.connect() as connection:
        ids = population.add_signatures(
            connection, campaign_id, "viewers", count, "pending", population.sealed_sample(app)
        )
    return population.confirmation_tokens(app, ids)


def run(stack: Stack, front: Front, tokens: list[str]) -> ViewerResult:
    """The viewers, the signers and the confirmations at once, then the freshness they saw."""
    settings = stack.settings
    offered = settings.viewers / settings.viewer_poll_seconds
    result = ViewerResult(offered, settings.viewer_sign_rate)
    count_path = f"/campaigns/{SLUG}/count.json"
    sign_fields, _no_cookie = fetch_form(stack.app_url, f"/campaigns/{SLUG}")
    confirm_fields, confirm_cookie = fetch_form(stack.app_url, f"/confirm/{tokens[0]}")
    viewer_connections = max(settings.wrk_threads, settings.viewer_connections)
    seconds = settings.viewer_seconds

    def polls(duration: float, pace_ms: float) -> wrk.WrkResult:
        """The viewers' polls, each connection waiting pace_ms between its requests."""
        return wrk.run(
            front.url + count_path,
            "viewers.lua",
            [count_path, str(settings.viewers)],
            duration,
            settings.wrk_threads,
            viewer_connections,
            pace_ms=pace_ms,
        )

    # wrk's pace is the wait between an answer and the next request: the warm-up tells how long
    # an answer takes, and the pace is shortened by that so that the offered rate is reached.
    pace = viewer_connections * 1000 / offered
    warm = polls(settings.warmup, pace)
    pace = max(0.0, pace - warm.p50_ms)
    base = pollers.read_count(front.port, SLUG)
    poller = pollers.CountPoller(front.port, SLUG, base, settings.poll_interval)

    def viewers() -> None:
        """The viewers' polls."""
        result.viewers = polls(seconds, pace)

    started = time.monotonic() + 0.5
    deadline = started + seconds - 1
    signers = result.signers = Signers(seconds - 1)
    sign_body = (
        sign_fields + f"&given_name=Anahit&family_name=Petrosyan&country=AM&email=surge-{stack.run_id}-"
    )
    sign_interval = SIGN_THREADS / settings.viewer_sign_rate
    lock = threading.Lock()
    confirming = freshness.Confirmers.of(
        stack,
        tokens,
        confirm_fields,
        confirm_cookie,
        count=CONFIRM_THREADS,
        rate=settings.viewer_confirm_rate,
        started=started,
        deadline=deadline,
    )
    threads = [threading.Thread(target=viewers)]
    threads += [
        threading.Thread(
            target=sign,
            args=(front.port, stack.app_url, sign_body, started + j / settings.viewer_sign_rate),
            kwargs={
                "interval": sign_interval,
                "deadline": deadline,
                "into": signers,
                "lock": lock,
                "index": j,
            },
        )
        for j in range(SIGN_THREADS)
    ]
    threads += confirming.threads
    poller.start()
    cpu_before, cpu_started = cpu.snapshot(stack), time.monotonic()
    with disk.probe(stack) as probe:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    elapsed = time.monotonic() - cpu_started
    result.disk_seen = probe.disk
    result.cores = {
        name: ms / 1000 / elapsed for name, ms in cpu.per_request(cpu_before, cpu.snapshot(stack), 1).items()
    }
    done = confirming.done()
    poller.wait_for(base + len(done), timeout=30)
    poller.stop()
    result.confirmed, result.confirm_errors = len(done), sum(confirming.errors)
    result.freshness, result.unseen = pollers.freshness(poller.polls, base, done)
    print(
        f"  surge: viewers {result.viewers.rate if result.viewers else 0:.0f}/s of {offered:.0f}/s offered, "
        f"signing {result.signers.rate if result.signers else 0:.0f}/s "
        f"(p99 {result.signers.p99_ms if result.signers else float('nan'):.0f} ms), "
        f"count fresh p99 {result.fresh_p99:.2f} s, errors {result.errors}; cores "
        + ", ".join(
            f"{name} {cores:.2f}" for name, cores in sorted(result.cores.items(), key=lambda i: -i[1])
        ),
        flush=True,
    )
    return result


def sign(
    port: int,
    origin: str,
    body: str,
    first_at: float,
    *,
    interval: float,
    deadline: float,
    into: Signers,
    lock: threading.Lock,
    index: int,
    slug: str = SLUG,
) -> None:
    """Post the sign form at first_at, first_at + interval, ... until the deadline, through nginx."""
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    n = 0
    while True:
        due = first_at + n * interval
        if due > deadline:
            break
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": origin,
            "X-Forwarded-For": f"10.{100 + index}.{n // 250 % 250}.{n % 250 + 1}",
        }
        try:
            connection.request(
                "POST",
                f"/campaigns/{slug}/sign",
                body=f"{body}{index}-{n}%40m{(n * SIGN_THREADS + index) % 997}.example.org",
                headers=headers,
            )
            response = connection.getresponse()
            response.read()
            status: int | None = response.status
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=30)
            status = None
        with lock:
            if status is None:
                into.socket_errors += 1
            else:
                into.latencies.append((time.monotonic() - due) * 1000)
                into.due.append(due)
                into.statuses[status] = into.statuses.get(status, 0) + 1
        n += 1
    connection.close()
