"""(k) One client busting the cache while people sign, through the front.

Round after round, for BENCH_BUSTER_SECONDS each half:
- alone: the sign form posted through nginx at BENCH_VIEWER_SIGN_RATE, each
  signature at its scheduled moment (an open loop, as in (j));
- busted: the same signing while one client (one address) asks for the
  campaign page at BENCH_BUSTER_RATE (2,000 a second, about what the app
  renders on two cores), each time with a query nobody asked for before
  (`bench/bust.lua`): each request a page the cache cannot answer. Without a
  limit, every one is a page the app makes; the front's limiter
  (deploy/nginx.conf) gives that client its budget (10 a second, 50 at once)
  and refuses the rest with 429.
Goal: the signers' p99 with the buster under 200 ms (the surge's goal), no sign
errors, and the buster's pages made within its budget.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from flask import Flask

from bench import cpu, disk, population, stats, wrk
from bench.front import Front
from bench.stack import Stack, fetch_form
from bench.viewers import SIGN_THREADS, Signers, sign

SLUG = "bench-busted"
ADDRESS = "203.0.113.66"
# deploy/nginx.conf's budget for a client's misses of the shared pages.
BUDGET_RATE, BUDGET_BURST = 10, 50


@dataclass
class BusterRound:
    """One round: the signers alone, then with the buster, and what the buster got."""

    alone: Signers
    busted: Signers
    buster: wrk.WrkResult
    seconds: float
    # Cores each component kept busy during the busted half (CPU seconds a second).
    cores: dict[str, float] = field(default_factory=dict)
    disk_alone: disk.Disk | None = None
    disk_busted: disk.Disk | None = None

    @property
    def pages_made(self) -> float:
        """The buster's pages the app made, a second."""
        return self.buster.statuses.get(200, 0) / self.seconds

    @property
    def refused(self) -> float:
        """The buster's requests refused by the front, a second."""
        return self.buster.statuses.get(429, 0) / self.seconds


@dataclass
class BusterResult:
    """Every round of (k)."""

    rounds: list[BusterRound] = field(default_factory=list)

    def p99(self, half: str) -> float:
        """The median over the rounds of the signers' p99 (ms), alone or busted."""
        return stats.median([getattr(r, half).p99_ms for r in self.rounds])

    @property
    def pages_made(self) -> float:
        """The median of the buster's pages made a second."""
        return stats.median([r.pages_made for r in self.rounds])

    @property
    def refused(self) -> float:
        """The median of the buster's refusals a second."""
        return stats.median([r.refused for r in self.rounds])

    @property
    def errors(self) -> int:
        """Sign answers that were not a redirect, and socket errors, in every half of every round."""
        halves = [s for r in self.rounds for s in (r.alone, r.busted)]
        return sum(s.non_3xx + s.socket_errors for s in halves)

    @property
    def within_budget(self) -> bool:
        """Whether the buster got no more pages than its budget allows, in every round."""
        return all(r.pages_made <= BUDGET_RATE + BUDGET_BURST / r.seconds + 1 for r in self.rounds)


def prepare(app: Flask) -> int:
    """The campaign the signers sign and the buster reads; its id."""
    return population.make_campaign(app, SLUG, "A campaign someone tries to take down by busting its cache")


def run(stack: Stack, front: Front) -> BusterResult:
    """The rounds: signing alone, then signing while one client busts the cache."""
    settings = stack.settings
    seconds = settings.buster_seconds
    fields, _no_cookie = fetch_form(stack.app_url, f"/campaigns/{SLUG}")
    result = BusterResult()
    for number in range(1, settings.rounds + 1):
        person = "given_name=Anahit&family_name=Petrosyan&country=AM"
        body = f"{fields}&{person}&email=bust-{stack.run_id}-{number}"
        with disk.probe(stack) as alone_probe:
            alone = _signing(stack, front, body + "a-", seconds)
        buster: list[wrk.WrkResult] = []
        path = f"/campaigns/{SLUG}"

        def bust(path: str = path, into: list[wrk.WrkResult] = buster, tag: str = f"r{number}") -> None:
            into.append(
                wrk.run(
                    front.url + path,
                    "bust.lua",
                    [path, ADDRESS, stack.run_id + tag],
                    seconds,
                    settings.wrk_threads,
                    settings.buster_connections,
                    pace_ms=settings.buster_connections * 1000 / settings.buster_rate,
                )
            )

        busting = threading.Thread(target=bust)
        before, started = cpu.snapshot(stack), time.monotonic()
        with disk.probe(stack) as busted_probe:
            busting.start()
            busted = _signing(stack, front, body + "b-", seconds)
            busting.join()
        elapsed = time.monotonic() - started
        cores = {
            name: ms / 1000 / elapsed for name, ms in cpu.per_request(before, cpu.snapshot(stack), 1).items()
        }
        found = BusterRound(alone, busted, buster[0], buster[0].duration_s, cores)
        found.disk_alone, found.disk_busted = alone_probe.disk, busted_probe.disk
        result.rounds.append(found)
        print(
            f"  cache-buster round {number}: signing p99 {alone.p99_ms:.0f} ms alone, "
            f"{busted.p99_ms:.0f} ms busted; buster {found.pages_made:.1f} pages/s made, "
            f"{found.refused:,.0f}/s refused",
            flush=True,
        )
    return result


def _signing(stack: Stack, front: Front, body: str, seconds: float) -> Signers:
    """The sign form posted through nginx at the surge's rate for `seconds`, open loop."""
    rate = stack.settings.viewer_sign_rate
    started = time.monotonic() + 0.2
    signers = Signers(seconds)
    lock = threading.Lock()
    threads = [
        threading.Thread(
            target=sign,
            args=(front.port, stack.app_url, body, started + j / rate),
            kwargs={
                "interval": SIGN_THREADS / rate,
                "deadline": started + seconds,
                "into": signers,
                "lock": lock,
                "index": j,
                "slug": SLUG,
            },
        )
        for j in range(SIGN_THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return signers
