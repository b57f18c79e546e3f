"""What the benchmark ran on: cores, memory, CPU, and the versions of what it measured."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

import redis

from bench.stack import REDIS_URL, Stack


def describe(stack: Stack) -> dict[str, str]:
    """The machine and software, as label -> value."""
    with stack.connect() as connection:
        row = connection.execute("SHOW server_version").fetchone()
    client = redis.Redis.from_url(REDIS_URL)
    try:
        redis_version = str(client.info("server").get("redis_version", "?"))
    finally:
        client.close()
    return {
        "Cores (nproc)": _run(["nproc"]),
        "Memory": _memory(),
        "CPU": _cpu_model(),
        "Kernel": platform.release(),
        "Python": platform.python_version(),
        "PostgreSQL": str(row[0]) if row else "?",
        "Redis": redis_version,
        "wrk": _run(["wrk", "--version"]).split(" [")[0],
        "gunicorn": metadata.version("gunicorn"),
        "Flask": metadata.version("flask"),
        "Celery": metadata.version("celery"),
        "psycopg": metadata.version("psycopg"),
    }


def _run(args: list[str]) -> str:
    """The first line a command prints, or '?'."""
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=10)
    except OSError:
        return "?"
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].strip() if lines else "?"


def _memory() -> str:
    """Total memory from /proc/meminfo."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def _cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"
