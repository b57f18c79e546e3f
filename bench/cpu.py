"""Where the CPU goes during a run: CPU seconds per component, read from /proc before and after.

Each child process started by the harness runs in a process group of its own,
so its forked workers are counted with it; PostgreSQL and Redis are counted by
name; what is left of the machine's busy time is 'other' (wrk, and whatever
else shares the machine).
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from bench.stack import Stack

TICKS = os.sysconf("SC_CLK_TCK")


def snapshot(stack: Stack) -> dict[str, float]:
    """CPU seconds used so far, per component, plus 'machine busy' for the whole machine."""
    groups = {child.process.pid: name for name, child in stack.children.items()}
    me = str(os.getpid())
    used: defaultdict[str, float] = defaultdict(float)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICKS
        group = int(fields[2])
        if entry.name == me:
            used["bench process"] += seconds
        elif group in groups:
            used[groups[group]] += seconds
        elif name.startswith("postgres"):
            used[_postgres_kind(entry, stack.database)] += seconds
        elif name.startswith("redis-server"):
            used["redis"] += seconds
    used["machine busy"] = _machine_busy()
    return dict(used)


def _postgres_kind(entry: Path, database: str) -> str:
    """A backend serving this run's database, or PostgreSQL's shared processes and other databases."""
    try:
        title = (entry / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        title = ""
    return (
        "postgres (this run's database)" if f" {database} " in title else "postgres (shared, other databases)"
    )


def _machine_busy() -> float:
    """Busy CPU seconds of the whole machine since boot (all cores)."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (user + nice + system + irq + softirq + steal) / TICKS


def per_request(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """CPU milliseconds per request, per component; 'other' is the machine's busy time nobody above used."""
    if requests <= 0:
        return {}
    spent = {key: after[key] - before.get(key, 0.0) for key in after}
    busy = spent.pop("machine busy", 0.0)
    known = sum(v for v in spent.values() if v > 0)
    result = {
        key: 1000 * value / requests for key, value in spent.items() if 1000 * value / requests >= 0.005
    }
    result["other (wrk, other tenants)"] = max(0.0, 1000 * (busy - known) / requests)
    return result
