"""Issue 6: exporting 100,000 and 1,000,000 signatures, against PostgreSQL's own COPY of the same rows.

Each export runs in a child process, as `campaign export` would, which
reports its time and how much its peak memory grew while exporting; the
baseline streams the same SELECT through COPY into a file, with no app.

`python -m bench.exports` measures the exports alone, on a database of their
own (BENCH_SCALE_ROWS signatures in the big campaign, BENCH_ROUNDS rounds);
it prints the figures and writes no report. `make bench` runs them with the rest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from bench import population, scale, stats
from bench.settings import Settings
from bench.stack import ROOT, Stack

MEDIUM = "bench-export-medium"
MEDIUM_ROWS = 100_000

# The child: build the app, note peak memory, export through the app's own code, note it again.
CHILD = """
import json, resource, sys, time
from pathlib import Path
from campaign import create_app
from campaign.campaigns.models import Campaign
from campaign.exports.filters import ExportFilters
from campaign.exports.service import export_campaign_to
from campaign.extensions import db
from sqlalchemy import select

def peak_kb():
    # VmHWM belongs to this program's own memory; ru_maxrss would also count the parent it was forked from.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0

app = create_app()
with app.app_context():
    campaign = db.session.execute(select(Campaign).where(Campaign.slug == sys.argv[1])).scalar_one()
    before = peak_kb()
    started = time.perf_counter()
    rows = export_campaign_to(campaign, Path(sys.argv[2]), actor="bench", filters=ExportFilters(), columns=[])
    seconds = time.perf_counter() - started
    after = peak_kb()
    # The processes a big export forks (EXPORT_PROCESSES): the peak of the largest (in KB on Linux).
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
report = {"rows": rows, "seconds": seconds, "before_kb": before, "after_kb": after, "children_kb": children}
print(json.dumps(report))
"""


@dataclass
class ExportResult:
    """Seconds and peak-memory growth of each export size, and the COPY baseline's seconds."""

    seconds: dict[int, list[float]] = field(default_factory=dict)
    baseline: dict[int, list[float]] = field(default_factory=dict)
    growth_mb: dict[int, list[float]] = field(default_factory=dict)
    peak_mb: dict[int, list[float]] = field(default_factory=dict)
    children_peak_mb: dict[int, list[float]] = field(default_factory=dict)

    def median(self, table: dict[int, list[float]], rows: int) -> float:
        """The median of one size's rounds."""
        return stats.median(table.get(rows, []))

    def ratio(self, rows: int) -> float:
        """App seconds / COPY seconds for one size."""
        return stats.ratio(self.median(self.seconds, rows), self.median(self.baseline, rows))


def prepare(stack: Stack, app: Flask) -> int:
    """A campaign of 100,000 validated signatures (the big one of (e) has the million)."""
    campaign = population.make_campaign(app, MEDIUM, "A campaign of a hundred thousand signatures")
    with stack.connect() as connection:
        population.add_signatures(
            connection, campaign, "export", MEDIUM_ROWS, "validated", population.sealed_sample(app)
        )
        connection.execute("VACUUM ANALYZE signatures")
    return campaign


def run(stack: Stack, big_rows: int) -> ExportResult:
    """Export both campaigns round after round, each against its COPY baseline."""
    result = ExportResult()
    sizes = {MEDIUM_ROWS: MEDIUM, big_rows: scale.BIG}
    for _round in range(stack.settings.rounds):
        for rows, slug in sizes.items():
            result.baseline.setdefault(rows, []).append(_copy_seconds(stack, slug))
            report = _export(stack, slug)
            if report["rows"] != rows:
                raise RuntimeError(f"exported {report['rows']} rows of {slug}, expected {rows}")
            result.seconds.setdefault(rows, []).append(report["seconds"])
            result.growth_mb.setdefault(rows, []).append((report["after_kb"] - report["before_kb"]) / 1024)
            result.peak_mb.setdefault(rows, []).append(report["after_kb"] / 1024)
            result.children_peak_mb.setdefault(rows, []).append(report.get("children_kb", 0) / 1024)
        print(
            f"    round {_round + 1}: "
            + ", ".join(
                f"{rows:,} rows {result.seconds[rows][-1]:.2f} s (COPY {result.baseline[rows][-1]:.2f} s, "
                f"+{result.growth_mb[rows][-1]:.0f} MB, "
                f"children's peak {result.children_peak_mb[rows][-1]:.0f} MB)"
                for rows in sizes
            ),
            flush=True,
        )
    return result


def _export(stack: Stack, slug: str) -> dict[str, float]:
    """One export through the app in a child process."""
    out = stack.folder / f"{slug}.csv"
    out.unlink(missing_ok=True)
    finished = subprocess.run(
        [sys.executable, "-c", CHILD, slug, str(out)],
        env=stack.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    out.unlink(missing_ok=True)
    report: dict[str, float] = json.loads(finished.stdout.strip().splitlines()[-1])
    return report


def _copy_seconds(stack: Stack, slug: str) -> float:
    """PostgreSQL's COPY of the same rows, as stored (sealed), into a file, read by psycopg: the floor."""
    out = stack.folder / f"{slug}-copy.csv"
    query = """COPY (SELECT s.sealed, s.country, s.validated_at
                     FROM signatures s
                     JOIN campaigns c ON c.id = s.campaign_id
                     WHERE c.slug = %s AND s.status = 'validated' ORDER BY s.id) TO STDOUT (FORMAT CSV)"""
    started = time.perf_counter()
    with stack.connect() as connection, out.open("wb") as handle:
        cursor = connection.cursor()
        with cursor.copy(query, (slug,)) as copy:
            for block in copy:
                handle.write(block)
    seconds = time.perf_counter() - started
    Path(out).unlink(missing_ok=True)
    return seconds


def main() -> int:
    """Measure the exports alone: populate both campaigns, run the rounds, print the medians."""
    settings = Settings()
    stack = Stack(settings)
    print(f"export bench {stack.run_id}: database {stack.database}", flush=True)
    try:
        stack.create_database()
        stack.apply_environment()
        from campaign import create_app

        app = create_app()
        big = population.make_campaign(app, scale.BIG, "A campaign of a million signatures")
        with stack.connect() as connection:
            population.add_signatures(
                connection, big, "big", settings.scale_rows, "validated", population.sealed_sample(app)
            )
        prepare(stack, app)
        result = run(stack, settings.scale_rows)
        for rows in (MEDIUM_ROWS, settings.scale_rows):
            print(
                f"{rows:,} rows: {result.median(result.seconds, rows):.2f} s, "
                f"COPY {result.median(result.baseline, rows):.2f} s, ratio {result.ratio(rows):.2f}, "
                f"+{result.median(result.growth_mb, rows):.0f} MB, "
                f"children's peak {result.median(result.children_peak_mb, rows):.0f} MB",
                flush=True,
            )
        from campaign.extensions import db

        with app.app_context():
            db.engine.dispose()
    finally:
        stack.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
