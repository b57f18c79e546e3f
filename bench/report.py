"""The results of a run: the table of medians and ratios against the goals of issue 3, printed and
written to docs/BENCHMARKS.md."""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench import stats
from bench.busters import BusterResult
from bench.endtoend import EndToEndResult
from bench.exports import ExportResult
from bench.freshness import FreshResult
from bench.front import FrontResult
from bench.mailout import MailResult
from bench.measure import Pair
from bench.scale import ScaleResult
from bench.settings import Settings
from bench.throughput import SignResult
from bench.viewers import ViewerResult

HERE = Path(__file__).resolve().parent
# How far a big campaign's latency may stray from a small one's and still count as "not growing":
# the rounds of a shared two-core machine differ by this much on their own.
SCALE_TOLERANCE = 1.25
# Issue 16: the fold with the ledger within 20% of the fold without; a proof under 5 ms.
LEDGER_FOLD_TOLERANCE = 1.2
PROOF_GOAL_MS = 5.0


@dataclass
class Results:
    """Everything one run measured (None where a benchmark failed; errors say why)."""

    settings: Settings
    started_at: datetime
    seconds: float = 0.0
    machine: dict[str, str] = field(default_factory=dict)
    sign: SignResult | None = None
    page: Pair | None = None
    fresh: FreshResult | None = None
    scale: ScaleResult | None = None
    mail: MailResult | None = None
    exports: ExportResult | None = None
    export_sizes: tuple[int, int] = (0, 0)
    # The front (bench/front.py), sign end to end (bench/endtoend.py), the surge (bench/viewers.py).
    front: FrontResult | None = None
    end_to_end: EndToEndResult | None = None
    surge: ViewerResult | None = None
    busted: BusterResult | None = None
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """One line of the table: what, the app, its baseline, the ratio, the goal, and the verdict."""

    measure: str
    app: str
    baseline: str
    ratio: str
    goal: str
    verdict: str


def _number(value: float, digits: int = 0, unit: str = "") -> str:
    """A figure for the table."""
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def _verdict(is_met: bool | None) -> str:
    """met / NOT met / n/a."""
    if is_met is None:
        return "n/a"
    return "met" if is_met else "**not met**"


def _check(value: float, test: bool) -> bool | None:
    """The verdict of a goal, unknown when the figure is missing."""
    return None if value is None or math.isnan(value) else test


def rows(results: Results) -> list[Row]:
    """The table of medians and ratios."""
    table: list[Row] = []
    sign = results.sign
    if sign is not None:
        pair = sign.pair
        ratio = pair.ratio()
        p99 = pair.app_latency("p99_ms")
        table.append(
            Row(
                "(a)/(b) sign throughput, requests/s",
                _number(pair.app_rate()),
                _number(pair.baseline_rate()) + " (bare INSERT)",
                _number(ratio, 2),
                ">= 0.5",
                _verdict(_check(ratio, ratio >= 0.5)),
            )
        )
        table.append(
            Row(
                "(a) sign latency p50 / p99",
                f"{_number(pair.app_latency('p50_ms'), 1)} / {_number(p99, 1)} ms",
                f"{_number(pair.baseline_latency('p50_ms'), 1)} / "
                f"{_number(pair.baseline_latency('p99_ms'), 1)} ms",
                _number(stats.ratio(p99, pair.baseline_latency("p99_ms")), 1) + " (p99)",
                "p99 < 100 ms",
                _verdict(_check(p99, p99 < 100)),
            )
        )
        non_3xx = sum(r.non_3xx for r in pair.app)
        socket_errors = sum(r.socket_errors for r in pair.app)
        table.append(
            Row(
                "(a) sign answers not 3xx / socket errors (all rounds)",
                f"{non_3xx} / {socket_errors}",
                f"{sum(r.non_3xx for r in pair.baseline)} / {sum(r.socket_errors for r in pair.baseline)}",
                "",
                "0",
                _verdict(non_3xx == 0 and socket_errors == 0),
            )
        )
        table.append(
            Row(
                "(f) accepted (303) vs stored signatures, lost",
                f"{sign.accepted:,} accepted, {sign.rows:,} rows",
                "",
                f"lost {sign.lost}",
                "none lost",
                _verdict(sign.lost == 0),
            )
        )
    page = results.page
    if page is not None:
        ratio = page.ratio()
        table.append(
            Row(
                "(c) campaign page views, requests/s",
                f"{_number(page.app_rate())} (p99 {_number(page.app_latency('p99_ms'), 1)} ms)",
                f"{_number(page.baseline_rate())} (hello world, p99 "
                f"{_number(page.baseline_latency('p99_ms'), 1)} ms)",
                _number(ratio, 2),
                ">= 0.5",
                _verdict(_check(ratio, ratio >= 0.5)),
            )
        )
    fresh = results.fresh
    if fresh is not None:
        p99 = fresh.median("p99")
        table.append(
            Row(
                "(d) freshness, confirmation to count.json, p50 / p99",
                f"{_number(fresh.median('p50'), 2)} / {_number(p99, 2)} s "
                f"at {_number(fresh.median('rate'))} confirmations/s",
                f"goal 2 s at {_number(fresh.target_rate)}/s",
                _number(p99 / 2.0, 2) + " of goal",
                f"p99 <= 2 s while {fresh.target_rate:g}/s arrive (>= 90% of that reached)",
                _verdict(_check(p99, p99 <= 2.0 and fresh.median("rate") >= 0.9 * fresh.target_rate)),
            )
        )
    scale = results.scale
    if scale is not None:
        for what, label in (("page", "campaign page"), ("count", "count.json")):
            ratio = scale.ratio(what)
            table.append(
                Row(
                    f"(e) {label} p50 latency, {scale.rows:,} vs 10 signatures",
                    _number(scale.median(f"big {what}"), 2, " ms"),
                    _number(scale.median(f"small {what}"), 2, " ms"),
                    _number(ratio, 2),
                    f"does not grow (<= {SCALE_TOLERANCE})",
                    _verdict(_check(ratio, ratio <= SCALE_TOLERANCE)),
                )
            )
        table.extend(_ledger_rows(scale))
    mail = results.mail
    if mail is not None:
        ratio = mail.ratio()
        table.append(
            Row(
                f"(g) mail out, messages/s ({mail.messages:,} a round)",
                _number(stats.median(mail.worker_rates)) + " (one worker)",
                _number(stats.median(mail.raw_rates)) + " (raw smtplib)",
                _number(ratio, 2),
                ">= 0.6",
                _verdict(_check(ratio, ratio >= 0.6 and mail.unsent == 0)),
            )
        )
        composing = stats.median(
            [stats.ratio(w, r) for w, r in zip(mail.worker_rates, mail.raw_composing_rates, strict=False)]
        )
        table.append(
            Row(
                "(g) mail out against raw smtplib composing each message as it sends (as issue 3's ~500/s)",
                _number(stats.median(mail.worker_rates)) + " (one worker)",
                _number(stats.median(mail.raw_composing_rates)) + " (raw smtplib, composing)",
                _number(composing, 2),
                ">= 0.6",
                _verdict(_check(composing, composing >= 0.6 and mail.unsent == 0)),
            )
        )
    table.extend(_export_rows(results))
    from bench import front_report  # it builds on this module's rows

    table.extend(front_report.rows(results))
    return table


def _ledger_rows(scale: ScaleResult) -> list[Row]:
    """Issue 16: the fold building the public ledger, and inclusion proofs in a tree of that size."""
    if not scale.fold_seconds:
        return []
    ratio = scale.ledger_fold_ratio
    route = stats.median(scale.proof_route_ms)
    service = stats.median(scale.proof_service_ms)
    return [
        Row(
            f"(e) fold of {scale.rows:,} signatures, building the public ledger, seconds",
            _number(scale.fold_seconds, 1, " s"),
            _number(scale.bare_fold_seconds, 1, " s") + " (the same fold without the ledger)",
            _number(ratio, 2),
            "<= 1.2",
            _verdict(_check(ratio, ratio <= LEDGER_FOLD_TOLERANCE)),
        ),
        Row(
            f"(e) inclusion proof (receipt) in a {scale.tree_size:,}-leaf tree, p50: route / service",
            f"{_number(route, 2)} / {_number(service, 2)} ms",
            "",
            "",
            "< 5 ms",
            _verdict(_check(route, route < PROOF_GOAL_MS and service < PROOF_GOAL_MS)),
        ),
    ]


def _export_rows(results: Results) -> list[Row]:
    """Issue 6: export time against COPY, and memory that must not grow with the rows."""
    exports = results.exports
    if exports is None:
        return []
    medium, big = results.export_sizes
    table = []
    for rows in (medium, big):
        seconds = exports.median(exports.seconds, rows)
        table.append(
            Row(
                f"export {rows:,} signatures, seconds",
                _number(seconds, 2, " s"),
                _number(exports.median(exports.baseline, rows), 2, " s") + " (PostgreSQL COPY, sealed rows)",
                _number(exports.ratio(rows), 2),
                "<= 5 s for 1,000,000" if rows == big else "",
                _verdict(_check(seconds, seconds <= 5)) if rows == big else "",
            )
        )
    growth_big = exports.median(exports.growth_mb, big)
    growth_medium = exports.median(exports.growth_mb, medium)
    table.append(
        Row(
            f"export peak memory growth, {big:,} vs {medium:,} rows",
            _number(growth_big, 1, " MB")
            + f" (process peak {_number(exports.median(exports.peak_mb, big))} MB)",
            _number(growth_medium, 1, " MB"),
            "",
            "< 100 MB, constant",
            _verdict(_check(growth_big, growth_big < 100 and growth_big <= growth_medium + 10)),
        )
    )
    return table


def print_ratios(results: Results) -> None:
    """Print the table to stdout."""
    print("\nResults (medians of rounds; ratio = app / baseline in the same round):")
    for row in rows(results):
        ratio = f"ratio {row.ratio}" if row.ratio else ""
        print(f"  {row.measure}: {row.app} vs {row.baseline} {ratio} [goal {row.goal}: {row.verdict}]")
    for name, error in results.errors.items():
        print(f"  {name}: FAILED: {error}")


def markdown(results: Results) -> str:
    """docs/BENCHMARKS.md."""
    settings = results.settings
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`python -m bench`) on {results.started_at:%Y-%m-%d %H:%M} UTC; "
        f"the run took {results.seconds / 60:.1f} minutes. Every figure is the median of "
        f"{settings.rounds} rounds ({settings.sign_rounds} for (i)), and every ratio compares the app "
        "with a baseline measured in the same round of the same run, because the machine is shared "
        "and noisy: absolute figures move from run to run, ratios much less. Bench traffic goes only "
        "to 127.0.0.1.",
        "",
        "## Results against the goals of issue 3",
        "",
        "| Measure | App | Baseline | Ratio | Goal | Verdict |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows(results):
        lines.append(
            f"| {row.measure} | {row.app} | {row.baseline} | {row.ratio} | {row.goal} | {row.verdict} |"
        )
    for name, error in results.errors.items():
        lines.append(f"| {name} | failed: {error} | | | | not measured |")
    lines += ["", *_cpu(results), "", *_details(results), "", "## The machine", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in results.machine.items()]
    lines += ["", *_how(results)]
    findings = HERE / "FINDINGS.md"
    if findings.exists():
        lines += ["", findings.read_text().strip()]
    return "\n".join(lines) + "\n"


def _cpu(results: Results) -> list[str]:
    """CPU milliseconds per request by component, app against baseline: where the time goes."""
    lines = [
        "## Where the CPU goes",
        "",
        "CPU milliseconds per completed request (per confirmation for (d), per message for mail), "
        "by component, read from /proc around each run "
        "(median of rounds). The web processes, the worker, PostgreSQL and Redis share the same two "
        "cores, so a request's true cost is the sum of the column; 'other' is the rest of the "
        "machine's busy time (wrk itself, and other work on this shared machine), and the shared "
        "PostgreSQL line holds WAL writing and checkpoints but also other databases on this server.",
        "",
        "| Component | Sign: app | Sign: bare INSERT | Page: app | Page: hello world | Confirm (d) "
        "| Mail: worker | Mail: raw smtplib |",
        "|---|---|---|---|---|---|---|---|",
    ]
    tables = []
    for pair in (results.sign.pair if results.sign else None, results.page):
        tables += [pair.cpu_table(pair.app_cpu), pair.cpu_table(pair.baseline_cpu)] if pair else [{}, {}]
    tables.append(results.fresh.cpu_table() if results.fresh else {})
    mail = results.mail
    tables += [mail.cpu_table(mail.worker_cpu), mail.cpu_table(mail.raw_cpu)] if mail else [{}, {}]
    names = {
        "app": "web (gunicorn, the app)",
        "bare": "web (gunicorn, the baseline)",
        "worker": "Celery worker",
        "mail-worker": "Celery worker (mail out)",
        "beat": "Celery beat",
        "smtp": "SMTP sink",
        "bench process": "bench process (hand-over; raw smtplib)",
    }
    keys = sorted({key for table in tables for key in table}, key=lambda k: (k.startswith("other"), k))
    for key in keys:
        cells = " | ".join(f"{table[key]:.2f}" if table.get(key, 0.0) >= 0.005 else "" for table in tables)
        lines.append(f"| {names.get(key, key)} | {cells} |")
    totals = " | ".join(f"**{sum(table.values()):.2f}**" if table else "" for table in tables)
    lines.append(f"| total | {totals} |")
    return lines


def _details(results: Results) -> list[str]:
    """Per-round figures, so a reader can see the spread behind each median."""
    lines = ["## Rounds", ""]
    if results.sign is not None:
        pair = results.sign.pair
        lines.append("Sign (requests/s, p50/p99 ms), app vs bare INSERT:")
        lines += [
            f"- round {n}: {a.rate:,.0f} ({a.p50_ms:.1f}/{a.p99_ms:.1f}) vs {b.rate:,.0f} "
            f"({b.p50_ms:.1f}/{b.p99_ms:.1f}); app answers {dict(sorted(a.statuses.items()))}; "
            f"{d.brief()} during the app's run"
            for n, (a, b, d) in enumerate(zip(pair.app, pair.baseline, pair.app_disk, strict=False), start=1)
        ]
        waits = ", ".join(f"{s:.1f}" for s in results.sign.settle_seconds)
        lines += [
            f"- seconds the worker needed, before each round and after the last, to send the "
            f"confirmation mail the app owed and fold the counts: {waits}",
            "",
        ]
    if results.page is not None:
        pair = results.page
        lines.append("Campaign page vs hello world (requests/s, p50/p99 ms):")
        lines += [
            f"- round {n}: {a.rate:,.0f} ({a.p50_ms:.1f}/{a.p99_ms:.1f}) vs {b.rate:,.0f} "
            f"({b.p50_ms:.1f}/{b.p99_ms:.1f})"
            for n, (a, b) in enumerate(zip(pair.app, pair.baseline, strict=False), start=1)
        ]
        lines.append("")
    if results.fresh is not None:
        lines.append("Freshness (confirmations, achieved rate, p50/p99 s):")
        lines += [
            f"- round {n}: {r.confirmed:,} of {r.sent:,} confirmed ({r.errors} errors) at {r.rate:.0f}/s; "
            f"p50 {r.p50:.2f} s, p99 {r.p99:.2f} s, max {max(r.latencies, default=math.nan):.2f} s"
            + (f"; {r.unseen} never seen in count.json" if r.unseen else "")
            + "; CPU ms a confirmation: "
            + ", ".join(f"{key} {value:.2f}" for key, value in sorted(r.cpu_ms.items()) if value >= 0.05)
            for n, r in enumerate(results.fresh.rounds, start=1)
        ]
        lines.append("")
    if results.scale is not None:
        scale = results.scale
        lines.append(
            f"Scale: {scale.rows:,} validated signatures inserted in {scale.insert_seconds:.0f} s and "
            f"folded by `campaign.counts.fold.fold_signatures` in {scale.fold_seconds:.0f} s; "
            f"count.json then said {scale.big_count:,} (big) and {scale.small_count:,} (small). "
            f"The same fold without the ledger's appends took {scale.bare_fold_seconds:.1f} s "
            f"(with them: {scale.fold_seconds:.1f} s). Inclusion proofs for {len(scale.receipts)} random "
            f"leaves of the {scale.tree_size:,}-leaf tree: `campaign.ledger.proofs.receipt_state` p50 "
            f"{stats.median(scale.proof_service_ms):.2f} ms, p95 "
            f"{stats.percentile(scale.proof_service_ms, 0.95):.2f} ms. "
            "p50 latency in ms over one connection, per round:"
        )
        lines += [
            f"- {key}: " + ", ".join(f"{v:.2f}" for v in values) for key, values in scale.latencies.items()
        ]
        if scale.proof_route_ms:
            lines.append("- big receipt (JSON): " + ", ".join(f"{v:.2f}" for v in scale.proof_route_ms))
        lines.append("")
    if results.mail is not None:
        mail = results.mail
        lines.append("Mail out (messages/s), one worker vs raw smtplib:")
        lines += [
            f"- round {n}: {w:,.0f} vs {r:,.0f} (handing them over took {p:.2f} s of the worker's time; "
            f"raw smtplib composing each message too: {c:,.0f}/s)"
            for n, (w, r, p, c) in enumerate(
                zip(
                    mail.worker_rates,
                    mail.raw_rates,
                    mail.publish_seconds,
                    mail.raw_composing_rates,
                    strict=False,
                ),
                start=1,
            )
        ]
        if mail.unsent:
            lines.append(f"- {mail.unsent} messages were still unsent at the deadline")
        lines.append("")
    from bench import front_report

    lines += front_report.details(results)
    return lines


def _how(results: Results) -> list[str]:
    """The commands and settings of the run."""
    settings = results.settings
    gunicorn = " ".join(shlex.quote(a) for a in settings.gunicorn_args())
    return [
        "## How it was run",
        "",
        "`make bench` (as root it installs Debian's `wrk` first), or `.venv/bin/python -m bench`. "
        "Shorter runs: `BENCH_ROUNDS=3 BENCH_DURATION=5 BENCH_SCALE_ROWS=100000 make bench`. "
        "It creates its own PostgreSQL database (`campaign_bench_<random>`, migrated with "
        "`campaign db upgrade`, seeded with `campaign seed-demo`) and its own Redis key prefix, "
        "and removes both at the end, with every process it started.",
        "",
        f"- Web: `gunicorn {gunicorn} 'campaign:create_app()'`; the baselines "
        f"(`bench/bare_app.py`: hello world, and one psycopg INSERT into a table with the columns of "
        "`signatures`) under exactly the same options. Environment: PostgreSQL and Redis on "
        "127.0.0.1, `TRUSTED_PROXY_HOPS=1`, `SMTP_URL` pointing at an aiosmtpd sink in its own process "
        "(`bench/smtp_sink.py`).",
        f"- Worker and beat running throughout (a)-(e): `celery -A worker worker "
        f"--concurrency={settings.cores}` and `celery -A worker beat` (counts folded every "
        "COUNTS_FOLD_SECONDS, default 2 s). Before every round the harness waits until the worker has "
        "sent the mail and folded the counts the previous round left, so no round pays for another.",
        f"- Load: `wrk --threads={settings.wrk_threads} --connections={settings.connections} "
        f"--duration={settings.duration:g}s --latency` after a {settings.warmup:g} s warm-up, app and "
        "baseline alternating within each round. (a) `bench/sign.lua` posts the real form with the CSRF "
        "token and session cookie of a real page, a unique email per request (run tag, wrk thread id, "
        "per-thread counter) and a distinct `X-Forwarded-For` address; (c) `bench/get.lua` fetches the "
        "page without a cookie, as a new visitor. Sync workers close each connection after the "
        "answer, so wrk (and (d)'s keep-alive clients) reconnect for every request, for the app and "
        "the baselines alike.",
        f"- (d) pending signatures created in bulk, tokens minted with "
        f"`campaign.signing.tokens.confirmation_token`, confirmed at {settings.confirm_rate:g}/s for "
        f"{settings.confirm_seconds:g} s a round by {settings.confirm_threads} threads over keep-alive "
        f"`http.client` connections; count.json polled every {settings.poll_interval * 1000:g} ms. The "
        "i-th confirmation to complete is fresh at the first poll (answered after it completed) whose "
        "count reaches i.",
        f"- (e) {settings.scale_rows:,} people and validated signatures inserted with "
        "`INSERT ... SELECT generate_series`, folded with the app's own fold, then the page and "
        f"count.json of that campaign and of one with 10 signatures fetched over one connection "
        f"(`wrk -t1 -c1`, {settings.latency_duration:g} s each, interleaved). The fold runs twice on "
        "the same rows: first with the ledger's appends left out (the fold as it was before the "
        "ledger), then, the rows unfolded, as the app runs it, appending every add to the campaign's "
        "public ledger; VACUUM ANALYZE before each. Then the heads are published and the receipts of "
        "random leaves are fetched as JSON, in turn, over one connection (`wrk -t1 -c1`), and timed "
        "in process through `receipt_state`.",
        f"- (g) beat and the general worker stopped; one `celery -A worker worker "
        f"--concurrency={settings.cores}` started; {settings.mail_messages:,} confirmations a round, owed as "
        "the sign request owes them (an outbox row naming a pending signature and the keyed hash of its "
        "address; the worker opens its "
        "sealed data and writes the email), handed to the broker by the app's own "
        "`campaign.mail.sending.sweep()`; timed from the hand-over to the last `sent_at`. "
        "Baseline: messages of the same size, composed beforehand, sent with `smtplib` over one reused "
        "connection to the same sink.",
        *_front_how(settings),
    ]


def _front_how(settings: Settings) -> list[str]:
    """How (h), (i) and (j) were run (bench/front_report.py)."""
    from bench import front_report

    return front_report.how(settings)


# Sections other runs write into the same file (`make soak`): a new `make bench` report keeps them.
KEPT_SECTIONS = ("Soak",)


def write(results: Results, root: Path) -> Path:
    """Write the report where the settings say, keeping the sections other runs wrote (KEPT_SECTIONS)."""
    path = root / results.settings.output
    kept = {heading: _section(path, heading) for heading in KEPT_SECTIONS}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(results))
    for heading, lines in kept.items():
        if lines is not None:
            write_section(path, heading, lines)
    return path


def _section(path: Path, heading: str) -> list[str] | None:
    """The lines of a Markdown file's `## heading` section (without the heading), or None."""
    title = f"## {heading}"
    old = path.read_text().splitlines() if path.exists() else []
    if title not in old:
        return None
    start = old.index(title) + 1
    end = next((i for i in range(start, len(old)) if old[i].startswith("## ")), len(old))
    lines = old[start:end]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def write_section(path: Path, heading: str, lines: list[str]) -> Path:
    """Replace a Markdown file's `## heading` section (up to the next `## `) or append it; keep the rest."""
    title = f"## {heading}"
    old = path.read_text().splitlines() if path.exists() else []
    section = [title, "", *lines]
    if title in old:
        start = old.index(title)
        end = next((i for i in range(start + 1, len(old)) if old[i].startswith("## ")), len(old))
        following = ["", *old[end:]] if end < len(old) else []
        new = [*old[:start], *section, *following]
    else:
        new = [*old, "", *section] if old else section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(new).rstrip("\n") + "\n")
    return path
