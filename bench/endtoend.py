"""(i) Sign end to end: from the POST to the confirmation email handed to the SMTP server.

Each round posts the real sign form to the app (gunicorn, its worker sending
the mail) and to the bare baseline's /sign-and-mail (one INSERT, then the email
through raw smtplib, in the request), back to back under the same wrk load. The
app's rate is the signatures it accepted over the time from the first request
to the last confirmation sent (the outbox's sent_at), so mail the worker is
still sending when wrk stops counts against it; the baseline's rate is its
request rate (its mail is sent before it answers). None lost: every accepted
signature is stored and its confirmation sent.

Each round also measures the outbox baseline, for reference: /sign-and-owe stores
the signature and owes its mail in one statement, and `bench/bare_outbox.py`
(as many processes as the worker) sends it, marking each message sent. It keeps
the promises the platform keeps on mail (nothing answered is left unmailed, a
crash resends at most the message in flight), which the baseline above does not,
and its rate is counted like the app's, to its last message sent.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench import disk, stats, wrk
from bench.measure import Measured, settle, with_cpu
from bench.stack import Stack, fetch_form

SLUG = "recognize-artsakh"
# The outbox baseline's sender, a child process of the stack (its CPU is counted under this name).
OUTBOX_SENDER = "outbox sender (baseline)"
OUTBOX_OWED = "SELECT count(*) FROM bare_outbox WHERE status <> 'sent'"


@dataclass
class EndToEndRound:
    """One round: the app's accepted signatures and their mail, against the baseline's requests."""

    app: wrk.WrkResult
    baseline: wrk.WrkResult
    accepted: int
    stored: int
    mailed: int
    seconds: float
    # The outbox baseline: its signatures answered and the seconds to its last message sent.
    outbox: wrk.WrkResult
    outbox_seconds: float
    app_cpu: dict[str, float] = field(default_factory=dict)
    baseline_cpu: dict[str, float] = field(default_factory=dict)
    outbox_cpu: dict[str, float] = field(default_factory=dict)
    app_disk: disk.Disk = field(default_factory=disk.Disk)

    @property
    def app_rate(self) -> float:
        """Signatures a second, mail sent included."""
        return self.accepted / self.seconds if self.seconds > 0 else 0.0

    @property
    def outbox_rate(self) -> float:
        """The outbox baseline's signatures a second, mail sent included."""
        return self.outbox.redirects / self.outbox_seconds if self.outbox_seconds > 0 else 0.0

    @property
    def lost(self) -> int:
        """Accepted signatures not stored, or stored without their confirmation sent."""
        return max(0, self.accepted - self.stored) + max(0, self.stored - self.mailed)


@dataclass
class EndToEndResult:
    """All rounds of (i)."""

    rounds: list[EndToEndRound] = field(default_factory=list)

    def ratios(self) -> list[float]:
        """Each round's app end-to-end rate / the baseline's in the same round."""
        return [stats.ratio(r.app_rate, r.baseline.rate) for r in self.rounds]

    def ratio(self) -> float:
        """Median over rounds of the app's end-to-end rate / the baseline's in the same round."""
        return stats.median(self.ratios())

    def median(self, value: str) -> float:
        """Median over rounds of an attribute of a round (app_rate) or of its app's wrk run (p99_ms)."""
        return stats.median(
            [getattr(r, value) if hasattr(r, value) else getattr(r.app, value) for r in self.rounds]
        )

    def baseline_rate(self) -> float:
        """Median rate of the baseline."""
        return stats.median([r.baseline.rate for r in self.rounds])

    def outbox_ratio(self) -> float:
        """Median over rounds of the app's end-to-end rate / the outbox baseline's in the same round."""
        return stats.median([stats.ratio(r.app_rate, r.outbox_rate) for r in self.rounds])

    def outbox_rate(self) -> float:
        """Median end-to-end rate of the outbox baseline."""
        return stats.median([r.outbox_rate for r in self.rounds])

    @property
    def lost(self) -> int:
        """Lost over all rounds."""
        return sum(r.lost for r in self.rounds)


def run(stack: Stack) -> EndToEndResult:
    """Round after round: the bare INSERT + smtplib, the outbox baseline, the app until its mail is out."""
    settings = stack.settings
    fields, cookie = fetch_form(stack.app_url, f"/campaigns/{SLUG}")
    result = EndToEndResult()

    def load(url: str, path: str, tag: str, duration: float) -> wrk.WrkResult:
        """One wrk run of the sign script."""
        args = [path, f"{stack.run_id}e{tag}", fields, cookie, stack.app_url]
        return wrk.run(url + path, "sign.lua", args, duration, settings.wrk_threads, settings.connections)

    load(stack.bare_url, "/sign-and-mail", "w", settings.warmup)
    with _outbox_sender(stack):
        _outbox_round(stack, load, "w", settings.warmup)
    load(stack.app_url, f"/campaigns/{SLUG}/sign", "w", settings.warmup)
    for number in range(settings.sign_rounds):
        result.rounds.append(_round(stack, load, number))
    return result


@contextmanager
def _outbox_sender(stack: Stack) -> Iterator[None]:
    """The outbox baseline's sender, connected and polling, for one run of its load only."""
    child = stack.start(OUTBOX_SENDER, [sys.executable, "-m", "bench.bare_outbox", str(stack.settings.cores)])
    try:
        child.wait_for_log(f"senders ready {child.process.pid}")
        yield
    finally:
        stack.stop(OUTBOX_SENDER)


# The three runs of a round, rotated one step each round: the machine's drift and the tables'
# growth over a round then weigh on each of them in turn, not always on the one that runs last.
_ORDER = ("baseline", "outbox", "app")


@dataclass(frozen=True)
class _Run:
    """One of a round's three runs: its load, and the seconds until its mail was out."""

    measured: Measured
    seconds: float
    stored: int = 0
    mailed: int = 0


def _round(stack: Stack, load: Callable[[str, str, str, float], wrk.WrkResult], number: int) -> EndToEndRound:
    """One round: the bare INSERT + smtplib, the outbox baseline and the app, each until its mail is out."""
    settle(stack, stack.settings.drain_timeout)
    tag = f"r{number}"
    runs: dict[str, Callable[[], _Run]] = {
        "baseline": lambda: _baseline_run(stack, load, tag),
        "outbox": lambda: _outbox_run(stack, load, tag),
        "app": lambda: _app_run(stack, load, tag),
    }
    order = _ORDER[number % len(_ORDER) :] + _ORDER[: number % len(_ORDER)]
    done = {name: runs[name]() for name in order}
    app, baseline, outbox = done["app"], done["baseline"].measured, done["outbox"]
    result = EndToEndRound(
        app.measured.result,
        baseline.result,
        app.measured.result.redirects,
        app.stored,
        app.mailed,
        app.seconds,
        outbox.measured.result,
        outbox.seconds,
        app_cpu=app.measured.cpu_ms,
        baseline_cpu=baseline.cpu_ms,
        outbox_cpu=outbox.measured.cpu_ms,
        app_disk=app.measured.disk,
    )
    print(
        f"  sign end to end round {number + 1} ({', '.join(order)}): app {result.app_rate:.0f}/s "
        f"(p99 {result.app.p99_ms:.0f} ms, {result.accepted} accepted, {result.mailed} mailed), "
        f"bare INSERT + smtplib {baseline.result.rate:.0f}/s, outbox baseline {result.outbox_rate:.0f}/s "
        f"(p99 {result.outbox.p99_ms:.0f} ms)",
        flush=True,
    )
    return result


def _baseline_run(stack: Stack, load: Callable[[str, str, str, float], wrk.WrkResult], tag: str) -> _Run:
    """The bare INSERT + smtplib: its mail is sent before it answers."""
    baseline = with_cpu(stack, lambda: load(stack.bare_url, "/sign-and-mail", tag, stack.settings.duration))
    return _Run(baseline, baseline.result.duration_s)


def _outbox_run(stack: Stack, load: Callable[[str, str, str, float], wrk.WrkResult], tag: str) -> _Run:
    """The outbox baseline with its sender, to its last message sent."""
    with _outbox_sender(stack):
        started = _database_now(stack)
        outbox = with_cpu(stack, lambda: _outbox_round(stack, load, f"{tag}o", stack.settings.duration))
    return _Run(outbox, max(outbox.result.duration_s, _outbox_last_sent(stack, started)))


def _app_run(stack: Stack, load: Callable[[str, str, str, float], wrk.WrkResult], tag: str) -> _Run:
    """The app to its last confirmation sent, with the signatures it stored and mailed."""
    started = _database_now(stack)
    app = with_cpu(stack, lambda: _app_round(stack, load, tag))
    stored, mailed, last_sent = _stored_and_mailed(stack, started)
    seconds = app.result.duration_s
    if last_sent is not None:
        seconds = max(seconds, (last_sent - started).total_seconds())
    return _Run(app, seconds, stored, mailed)


def _app_round(
    stack: Stack, load: Callable[[str, str, str, float], wrk.WrkResult], tag: str
) -> wrk.WrkResult:
    """The app's wrk run, then the wait until its mail is out (the CPU of both counts against it)."""
    result = load(stack.app_url, f"/campaigns/{SLUG}/sign", tag, stack.settings.duration)
    settle(stack, stack.settings.drain_timeout)
    return result


def _outbox_round(
    stack: Stack, load: Callable[[str, str, str, float], wrk.WrkResult], tag: str, duration: float
) -> wrk.WrkResult:
    """The outbox baseline's wrk run, then the wait until its sender has sent everything owed."""
    result = load(stack.bare_url, "/sign-and-owe", tag, duration)
    timeout = stack.settings.drain_timeout
    if settle(stack, timeout, owed=OUTBOX_OWED) >= timeout:
        raise RuntimeError(f"the outbox baseline's sender left mail unsent after {timeout:g} s")
    return result


def _outbox_last_sent(stack: Stack, since: datetime) -> float:
    """Seconds from `since` to the outbox baseline's last message sent of what was owed after it."""
    with stack.connect() as connection:
        row = connection.execute(
            "SELECT max(sent_at) FROM bare_outbox WHERE created_at >= %s", (since,)
        ).fetchone()
    return (row[0] - since).total_seconds() if row and row[0] is not None else 0.0


def _database_now(stack: Stack) -> datetime:
    """The database's clock (UTC, naive), which created_at and sent_at are written in."""
    with stack.connect() as connection:
        row = connection.execute("SELECT now() AT TIME ZONE 'utc'").fetchone()
    return row[0] if row else datetime.now(UTC).replace(tzinfo=None)


def _stored_and_mailed(stack: Stack, since: datetime) -> tuple[int, int, datetime | None]:
    """Signatures of the campaign created since, how many had their confirmation sent, the last sent_at."""
    with stack.connect() as connection:
        row = connection.execute(
            """
            SELECT count(DISTINCT s.id), count(DISTINCT o.ref_id) FILTER (WHERE o.status = 'sent'),
                   max(o.sent_at)
            FROM signatures s
            JOIN campaigns c ON c.id = s.campaign_id
            LEFT JOIN outbox o ON o.ref_id = s.id AND o.kind = 'confirmation'
            WHERE c.slug = %s AND s.created_at >= %s
            """,
            (SLUG, since),
        ).fetchone()
    if row is None:
        return 0, 0, None
    return int(row[0]), int(row[1]), row[2]
