"""Running wrk with the harness's Lua scripts and reading what it measured."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class WrkResult:
    """One wrk run: completed requests, their rate and latency, answers by status."""

    url: str
    requests: int
    duration_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[int, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    output: str = ""

    @property
    def rate(self) -> float:
        """Completed requests a second."""
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def redirects(self) -> int:
        """Answers with a 3xx status (a sign request accepted)."""
        return sum(n for status, n in self.statuses.items() if 300 <= status < 400)

    @property
    def non_3xx(self) -> int:
        """Answers that were not a 3xx."""
        return sum(n for status, n in self.statuses.items() if not 300 <= status < 400)

    @property
    def non_2xx(self) -> int:
        """Answers that were not a 2xx."""
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def socket_errors(self) -> int:
        """Connect, read, write errors and timeouts."""
        return sum(n for kind, n in self.errors.items() if kind != "status")


def wrk_binary() -> str:
    """The wrk executable; `make bench` installs the Debian package when run as root."""
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk)")
    return found


def run(
    url: str,
    script: str,
    args: list[str],
    duration: float,
    threads: int,
    connections: int,
    pace_ms: float | None = None,
) -> WrkResult:
    """Run wrk for `duration` seconds against the URL with one of bench/*.lua.

    `pace_ms`: each connection waits this long before its next request, which
    offers connections * 1000 / pace_ms requests a second at most (wrk's delay()).
    """
    source = (HERE / "common.lua").read_text() + "\n" + (HERE / script).read_text()
    if pace_ms is not None:
        source += f"\nfunction delay()\n  return {max(0, round(pace_ms))}\nend\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-") as lua:
        lua.write(source)
        lua.flush()
        command = [
            wrk_binary(),
            f"--threads={threads}",
            f"--connections={max(connections, threads)}",
            f"--duration={max(1, round(duration))}s",
            "--timeout=10s",
            "--latency",
            f"--script={lua.name}",
            url,
            "--",
            *args,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=duration + 60)
    if done.returncode:
        raise RuntimeError(f"wrk failed: {done.stderr}\n{done.stdout}")
    return parse(url, done.stdout)


def parse(url: str, output: str) -> WrkResult:
    """Read the BENCH_RESULT line the Lua done() prints."""
    line = next((ln for ln in output.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    data = json.loads(line.removeprefix("BENCH_RESULT "))
    return WrkResult(
        url=url,
        requests=int(data["requests"]),
        duration_s=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        statuses={int(k): int(v) for k, v in data["statuses"].items()},
        errors={k: int(v) for k, v in data["errors"].items()},
        output=output,
    )
