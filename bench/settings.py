"""What a benchmark run does, from the environment (BENCH_*), with defaults sized for a small machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _int(name: str, default: int) -> int:
    """An integer setting from the environment."""
    return int(os.environ.get(name, "") or default)


def _float(name: str, default: float) -> float:
    """A number setting from the environment."""
    return float(os.environ.get(name, "") or default)


@dataclass(frozen=True)
class Settings:
    """The knobs of one run; BENCH_ROUNDS=3 BENCH_DURATION=5 BENCH_SCALE_ROWS=100000 shorten it."""

    cores: int = field(default_factory=lambda: os.cpu_count() or 1)
    rounds: int = field(default_factory=lambda: max(3, _int("BENCH_ROUNDS", 3)))
    # (i) sign end to end: its rounds spread by up to 30% on a shared machine, so it takes more of
    # them, each running the app and its two baselines in a rotated order (bench/endtoend.py).
    sign_rounds: int = field(default_factory=lambda: max(3, _int("BENCH_SIGN_ROUNDS", 6)))
    duration: float = field(default_factory=lambda: _float("BENCH_DURATION", 10))
    warmup: float = field(default_factory=lambda: _float("BENCH_WARMUP", 3))
    wrk_threads: int = field(default_factory=lambda: _int("BENCH_WRK_THREADS", 2))
    connections: int = field(default_factory=lambda: _int("BENCH_CONNECTIONS", 16))
    gunicorn_workers: int = field(default_factory=lambda: _int("BENCH_GUNICORN_WORKERS", 0))
    gunicorn_threads: int = field(default_factory=lambda: _int("BENCH_GUNICORN_THREADS", 1))
    latency_duration: float = field(default_factory=lambda: _float("BENCH_LATENCY_DURATION", 3))
    scale_rows: int = field(default_factory=lambda: _int("BENCH_SCALE_ROWS", 1_000_000))
    confirm_rate: float = field(default_factory=lambda: _float("BENCH_CONFIRM_RATE", 300))
    confirm_seconds: float = field(default_factory=lambda: _float("BENCH_CONFIRM_SECONDS", 10))
    confirm_threads: int = field(default_factory=lambda: _int("BENCH_CONFIRM_THREADS", 32))
    poll_interval: float = field(default_factory=lambda: _float("BENCH_POLL_INTERVAL", 0.05))
    mail_messages: int = field(default_factory=lambda: _int("BENCH_MAIL_MESSAGES", 2000))
    drain_timeout: float = field(default_factory=lambda: _float("BENCH_DRAIN_TIMEOUT", 180))
    output: str = field(default_factory=lambda: os.environ.get("BENCH_OUTPUT", "docs/BENCHMARKS.md"))
    # (j) the surge: viewers polling count.json through nginx while signatures arrive.
    viewers: int = field(default_factory=lambda: _int("BENCH_VIEWERS", 100_000))
    viewer_poll_seconds: float = field(default_factory=lambda: _float("BENCH_VIEWER_POLL_SECONDS", 10))
    viewer_connections: int = field(default_factory=lambda: _int("BENCH_VIEWER_CONNECTIONS", 400))
    viewer_sign_rate: float = field(default_factory=lambda: _float("BENCH_VIEWER_SIGN_RATE", 100))
    # Confirmations during the surge, so that the count moves and its freshness can be seen.
    viewer_confirm_rate: float = field(default_factory=lambda: _float("BENCH_VIEWER_CONFIRM_RATE", 20))
    viewer_seconds: float = field(default_factory=lambda: _float("BENCH_VIEWER_SECONDS", 30))
    # (k) one client busting the cache while people sign at viewer_sign_rate: seconds of each half,
    # and the requests a second it offers (about what the app can render on two cores).
    buster_seconds: float = field(default_factory=lambda: _float("BENCH_BUSTER_SECONDS", 10))
    buster_rate: float = field(default_factory=lambda: _float("BENCH_BUSTER_RATE", 2000))
    buster_connections: int = field(default_factory=lambda: _int("BENCH_BUSTER_CONNECTIONS", 32))

    @property
    def workers(self) -> int:
        """Gunicorn workers: 2 x cores + 1 sync workers unless told otherwise."""
        return self.gunicorn_workers or 2 * self.cores + 1

    def gunicorn_args(self) -> list[str]:
        """The gunicorn options shared by the app and every baseline."""
        worker_class = "gthread" if self.gunicorn_threads > 1 else "sync"
        return [
            "--workers",
            str(self.workers),
            "--worker-class",
            worker_class,
            "--threads",
            str(self.gunicorn_threads),
            "--backlog",
            "2048",
            "--keep-alive",
            "5",
            "--log-level",
            "warning",
        ]
