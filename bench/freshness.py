"""(d) Freshness: from a confirmation's answer to the moment count.json includes it, at ~300 confirmations/s.

Pending signatures are created in bulk and their confirmation tokens minted with
the app's own function; a few threads confirm them at a steady rate over
keep-alive connections while a poller reads count.json every ~50 ms. The i-th
completed confirmation is fresh at the first poll (answered after it completed)
whose count reaches i.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field

from flask import Flask

from bench import cpu, pollers, population, stats
from bench.measure import settle
from bench.stack import HOST, Stack, fetch_form

SLUG = "bench-fresh"


@dataclass
class FreshRound:
    """One round: how many confirmations, at what rate, and their freshness in seconds."""

    sent: int
    confirmed: int
    errors: int
    rate: float
    latencies: list[float] = field(default_factory=list)
    unseen: int = 0
    cpu_ms: dict[str, float] = field(default_factory=dict)

    @property
    def p50(self) -> float:
        """Median freshness, seconds."""
        return stats.percentile(self.latencies, 0.5)

    @property
    def p99(self) -> float:
        """99th percentile freshness, seconds."""
        return stats.percentile(self.latencies, 0.99)


@dataclass
class FreshResult:
    """All rounds of the freshness benchmark."""

    target_rate: float
    rounds: list[FreshRound] = field(default_factory=list)

    def cpu_table(self) -> dict[str, float]:
        """Median CPU ms per confirmation of each component over the rounds."""
        keys = sorted({key for r in self.rounds for key in r.cpu_ms})
        return {key: stats.median([r.cpu_ms.get(key, 0.0) for r in self.rounds]) for key in keys}

    def median(self, attribute: str) -> float:
        """Median over rounds of a round's attribute."""
        return stats.median([getattr(r, attribute) for r in self.rounds])


def prepare(stack: Stack, app: Flask) -> list[list[str]]:
    """Create the campaign and its pending signatures; return their tokens per round, warm-up first."""
    settings = stack.settings
    per_round = int(settings.confirm_rate * settings.confirm_seconds)
    warmup = int(settings.confirm_rate * min(settings.warmup, settings.confirm_seconds))
    campaign_id = population.make_campaign(app, SLUG, "A campaign for the freshness benchmark")
    with stack.connect() as connection:
        ids = population.add_signatures(
            connection,
            campaign_id,
            "fresh",
            warmup + per_round * settings.rounds,
            "pending",
            population.sealed_sample(app),
        )
    tokens = population.confirmation_tokens(app, ids)
    rounds = [tokens[:warmup]]
    for number in range(settings.rounds):
        start = warmup + number * per_round
        rounds.append(tokens[start : start + per_round])
    return rounds


def run(stack: Stack, token_rounds: list[list[str]]) -> FreshResult:
    """Confirm round after round (the first is a warm-up) and measure freshness."""
    settings = stack.settings
    result = FreshResult(settings.confirm_rate)
    # The confirm page is a person's page: its form's CSRF token goes with the session cookie it sets.
    fields, cookie = fetch_form(stack.app_url, f"/confirm/{token_rounds[0][0]}")
    for number, tokens in enumerate(token_rounds):
        settle(stack, settings.drain_timeout)
        before = cpu.snapshot(stack)
        fresh = _round(stack, tokens, fields, cookie)
        fresh.cpu_ms = cpu.per_request(before, cpu.snapshot(stack), fresh.confirmed)
        if number:
            result.rounds.append(fresh)
            print(
                f"  freshness round {number}: {fresh.confirmed} confirmed at {fresh.rate:.0f}/s, "
                f"p50 {fresh.p50:.2f} s, p99 {fresh.p99:.2f} s",
                flush=True,
            )
    return result


def _round(stack: Stack, tokens: list[str], fields: str, cookie: str) -> FreshRound:
    """Confirm these tokens at the set rate while polling count.json."""
    settings = stack.settings
    base = pollers.read_count(stack.app_port, SLUG)
    poller = pollers.CountPoller(stack.app_port, SLUG, base, settings.poll_interval)
    poller.start()
    started = time.monotonic() + 0.2
    # A round lasts its set time: what the app cannot take in it is left unconfirmed.
    deadline = started + settings.confirm_seconds
    confirming = Confirmers.of(
        stack,
        tokens,
        fields,
        cookie,
        count=max(1, settings.confirm_threads),
        rate=settings.confirm_rate,
        started=started,
        deadline=deadline,
    )
    for worker in confirming.threads:
        worker.start()
    for worker in confirming.threads:
        worker.join()
    done = confirming.done()
    poller.wait_for(base + len(done), timeout=30)
    poller.stop()
    elapsed = (done[-1] - started) if done else 0.0
    errors = sum(confirming.errors)
    fresh = FreshRound(len(done) + errors, len(done), errors, len(done) / elapsed if elapsed > 0 else 0.0)
    fresh.latencies, fresh.unseen = pollers.freshness(poller.polls, base, done)
    return fresh


@dataclass
class Confirmers:
    """Threads (not started) that confirm tokens at a steady rate, and what they did."""

    threads: list[threading.Thread]
    completions: list[list[float]]
    errors: list[int]

    @classmethod
    def of(
        cls,
        stack: Stack,
        tokens: list[str],
        fields: str,
        cookie: str,
        *,
        count: int,
        rate: float,
        started: float,
        deadline: float,
    ) -> Confirmers:
        """`count` threads sharing the tokens, together `rate` a second from `started` until the deadline."""
        completions: list[list[float]] = [[] for _ in range(count)]
        errors = [0] * count
        threads = [
            threading.Thread(
                target=_confirm,
                args=(
                    stack,
                    deadline,
                    tokens[j::count],
                    fields,
                    cookie,
                    started + j / rate,
                    count / rate,
                    completions[j],
                    errors,
                    j,
                ),
            )
            for j in range(count)
        ]
        return cls(threads, completions, errors)

    def done(self) -> list[float]:
        """When each confirmation completed, in order."""
        return sorted(t for times in self.completions for t in times)


def _confirm(
    stack: Stack,
    deadline: float,
    tokens: list[str],
    fields: str,
    cookie: str,
    first_at: float,
    interval: float,
    completions: list[float],
    errors: list[int],
    index: int,
) -> None:
    """Confirm each token at its scheduled moment over one keep-alive connection."""
    connection = _connection(stack)
    body = fields
    for n, token in enumerate(tokens):
        if time.monotonic() > deadline:
            break
        delay = first_at + n * interval - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "X-Forwarded-For": f"10.200.{index}.{n % 250 + 1}",
        }
        status = _post(connection, f"/confirm/{token}", body, headers)
        if status is None:  # a dropped keep-alive connection: open a new one, try once more
            connection = _connection(stack)
            status = _post(connection, f"/confirm/{token}", body, headers)
        if status == 303:
            completions.append(time.monotonic())
        else:
            errors[index] += 1
    connection.close()


def _post(
    connection: http.client.HTTPConnection, path: str, body: str, headers: dict[str, str]
) -> int | None:
    """POST and read the answer; None when the connection failed."""
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        connection.close()
        return None


def _connection(stack: Stack) -> http.client.HTTPConnection:
    """A keep-alive connection to the app."""
    return http.client.HTTPConnection(HOST, stack.app_port, timeout=10)
