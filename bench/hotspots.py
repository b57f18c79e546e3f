"""`python -m bench.hotspots [sign|page|mail] [SECONDS]`: where the app spends its CPU under load.

Starts the same stack as `python -m bench` (its own database, gunicorn, worker,
beat, SMTP sink), runs the load under `py-spy record` (install it into the venv:
`.venv/bin/pip install py-spy`) and prints the functions that hold the CPU,
leaving out the samples where a process only waits (on a socket, for a request).
The raw stacks are kept in the file printed at the end (flamegraph-ready).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench import mailout, population, wrk
from bench.settings import Settings
from bench.stack import BIN, Stack, fetch_form

# Leaf frames where a process waits rather than works.
IDLE = ("Connection.wait (", "SyncWorker.wait", "wait_for_signals", "select (", "_read_from_socket", "poll (")
SLUG = "recognize-artsakh"


def record(pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes]:
    """Start py-spy on a process and its children."""
    spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if not spy:
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    args = [spy, "record", "--pid", str(pid), "--subprocesses", "--duration", str(int(seconds))]
    args += ["--rate", "200", "--format", "raw", "--output", str(output)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarize(path: Path, top: int = 45) -> list[str]:
    """The functions holding the CPU, inclusive, as a share of the non-waiting samples."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = [_short(frame) for frame in stack.split(";")[1:]]
        if not frames or frames[-1].startswith(IDLE):
            continue
        total += int(count)
        for name in set(frames):
            inclusive[name] += int(count)
    return [f"{100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)] if total else []


def _short(frame: str) -> str:
    """'function (file:line)' without the line and the site-packages prefix."""
    match = re.match(r"(.*) \((.*?):\d+\)$", frame)
    if not match:
        return frame
    path = match.group(2).split("site-packages/")[-1].split(str(BIN.parent.parent) + "/")[-1]
    return f"{match.group(1)} ({path})"


def main() -> None:
    """Start the stack, load it under py-spy, print the summary, tear down."""
    target = sys.argv[1] if len(sys.argv) > 1 else "sign"
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 15
    settings = Settings()
    stack = Stack(settings)
    output = Path(f"/tmp/bench-profile-{target}-{stack.run_id}.txt")
    try:
        stack.create_database()
        stack.apply_environment()
        from campaign import create_app

        app = create_app()
        stack.start_smtp()
        web = stack.start_app()
        worker = stack.start_worker()
        stack.start_beat()
        if target == "mail":
            stack.stop("beat")
            campaign = population.make_campaign(app, "bench-mail", "A campaign for the mail-out benchmark")
            sealed = population.sealed_sample(app)
            mailout._round(stack, app, "warmup", 200, campaign, sealed)
            spy = record(worker.process.pid, seconds, output)
            time.sleep(1)
            mailout._round(stack, app, "profile", int(seconds * 300), campaign, sealed)
        else:
            if target == "sign":
                fields, cookie = fetch_form(stack.app_url, f"/campaigns/{SLUG}")
                path, script = f"/campaigns/{SLUG}/sign", "sign.lua"
                # A tag per run: the warm-up's addresses signing again would profile the repeat path.
                warmup_args = [path, f"{stack.run_id}w", fields, cookie, stack.app_url]
                args = [path, stack.run_id, fields, cookie, stack.app_url]
            else:
                path, script, args = f"/campaigns/{SLUG}", "get.lua", [f"/campaigns/{SLUG}"]
                warmup_args = args
            url = stack.app_url + path
            wrk.run(url, script, warmup_args, settings.warmup, settings.wrk_threads, settings.connections)
            spy = record(web.process.pid, seconds, output)
            time.sleep(1)
            result = wrk.run(url, script, args, seconds, settings.wrk_threads, settings.connections)
            print(f"{target}: {result.rate:.0f}/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms")
        spy.wait(timeout=seconds + 60)
    finally:
        stack.close()
    print("\n".join(summarize(output)))
    print(f"\nraw stacks: {output}")


if __name__ == "__main__":
    main()
